//! The model picker: choose, download, load (file picker or drop anywhere on the page) and
//! delete models, and a line about the one in use.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::datasets::{use_datasets, Datasets};
use super::i18n::{said_in, tr, use_lang, Lang};
use super::library::{pretrained_id, use_library, Library};
use super::share;
use super::state::{use_lab, ActiveModel, Lab};
use super::training::Training;
use crate::ml::pretrained::{self, DEFAULT_PRETRAINED, PRETRAINED};
use crate::ml::run_notes;
use crate::ui_logic::said::Said;
use crate::ui_logic::words::{config_words, epochs_words};

/// How long a library message stays at the bottom of the screen.
const TOAST_MS: u64 = 6_000;

/// A short line about the active model: kind, sizes and its test score.
fn describe(model: &ActiveModel, lang: Lang) -> String {
    let score = model.info.notes.get(run_notes::TEST_NEG_ELBO).map(|s| {
        if model.model.config().kind.is_variational() {
            lang.text(
                format!("; test −ELBO {s} nats"),
                format!("；测试集 −ELBO {s} 奈特"),
            )
        } else {
            lang.text(
                format!("; test reconstruction {s} nats"),
                format!("；测试集重建误差 {s} 奈特"),
            )
        }
    });
    let epochs = model
        .info
        .notes
        .get(run_notes::EPOCHS)
        .map(|e| match e.parse::<usize>() {
            Ok(n) => lang.text(
                format!(", {}", epochs_words(n, Lang::En)),
                format!("，训练 {}", epochs_words(n, Lang::Zh)),
            ),
            Err(_) => lang.text(format!(", {e} epochs"), format!("，训练 {e} 轮")),
        });
    let blurb = model
        .id
        .strip_prefix("pretrained:")
        .and_then(pretrained::find)
        .map(|p| format!(" — {}", lang.text(p.blurb, p.blurb_zh)));
    let title = model.title(lang);
    format!(
        "{}{}{}{}",
        title,
        epochs.unwrap_or_default(),
        score.unwrap_or_default(),
        blurb.unwrap_or_default()
    )
}

/// Offers `bytes` as a file download.
pub(crate) fn download(bytes: &[u8], file_name: &str) -> Result<(), Said> {
    let unprepared = || Said::new("could not prepare the file", "无法准备文件");
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| unprepared())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| unprepared())?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| Said::new("no document", "没有文档"))?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| Said::new("no link", "无法创建链接"))?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    // Some browsers start the download after this returns: revoke the URL later, not now.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 30_000);
    }
    Ok(())
}

/// A file name for a model: its kind and sizes, and the epochs it was trained.
fn file_name(model: &ActiveModel) -> String {
    let c = model.model.config();
    let epochs = model
        .info
        .notes
        .get(run_notes::EPOCHS)
        .map(|e| format!("-e{e}"))
        .unwrap_or_default();
    format!(
        "latent-lab-{}-z{}-h{}{epochs}.safetensors",
        c.kind.id(),
        c.latent,
        c.hidden
    )
}

/// Reads a file a person chose.
pub(crate) async fn read_file(file: web_sys::File) -> Result<(String, Vec<u8>), Said> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| {
            Said::new(
                format!("“{}” could not be read", file.name()),
                format!("无法读取“{}”", file.name()),
            )
        })?;
    Ok((file.name(), js_sys::Uint8Array::new(&buffer).to_vec()))
}

/// After a person chose a model: the data follows it when it reads pictures of another shape
/// (`Datasets::follow_model`), and the picker says when none can be found.
async fn follow_model(datasets: Datasets, library: Library, lab: Lab, training: Option<Training>) {
    if let Some(problem) = datasets.follow_model(lab, training).await {
        library.message.set(Some(problem));
    }
}

#[component]
pub fn ModelPicker() -> impl IntoView {
    let lab = use_lab();
    let library = use_library();
    let datasets = use_datasets();

    let training = use_context::<Training>();
    let lang = use_lang();
    // Open with the model of the link (or the default), then the kept models and the last run
    // (the other pretrained models are fetched later: `App`). A link to a model kept in this
    // browser can only be followed once the kept models are read.
    super::clock::spawn_after_this_task(async move {
        let shared = share::initial();
        let first = shared
            .as_ref()
            .map(|s| s.model.clone())
            .filter(|id| id.starts_with("pretrained:"))
            .unwrap_or_else(|| pretrained_id(DEFAULT_PRETRAINED));
        library.select(lab, first).await;
        library.restore().await;
        if let (Some(training), true) = (training, shared.is_some()) {
            // The link's digit stays on screen; a run restored below does not replace it.
            training.follow.set(false);
        }
        if let Some(view) = shared {
            if view.model.starts_with("pretrained:") {
                share::apply_latent(lab, &view);
            } else {
                share::open(lab, library, view).await;
            }
        }
        // The dataset in use before a reload comes back first: a kept run is a digits run,
        // and is brought back only when the digits are in use.
        datasets.restore(lab, training).await;
        if let Some(training) = training {
            training.restore_run().await;
        }
    });

    let active_id = move || {
        lab.active
            .with(|m| m.as_ref().map(|m| m.id.clone()).unwrap_or_default())
    };
    let on_change = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        // Picking another model means exploring it: stop following the training run.
        if let Some(training) = training {
            if !training.is_run_entry(&id) {
                training.follow.set(false);
            }
        }
        leptos::task::spawn_local(async move {
            library.select(lab, id).await;
            follow_model(datasets, library, lab, training).await;
        });
    };
    let on_download = move |_| {
        let Some(model) = lab.active.get_untracked() else {
            return;
        };
        match library.checkpoint_of(&model.id) {
            Some(bytes) => {
                if let Err(e) = download(&bytes, &file_name(&model)) {
                    library.message.set(Some(e.within(
                        |why| format!("The download failed: {why}."),
                        |why| format!("下载失败：{why}。"),
                    )));
                }
            }
            None => library.message.set(Some(Said::new(
                "This model has no weights to download yet.",
                "这个模型还没有可以下载的权重。",
            ))),
        }
    };
    let open_files = move |files: Option<web_sys::FileList>| {
        let Some(file) = files.and_then(|f| f.get(0)) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match read_file(file).await {
                Ok((name, bytes)) => {
                    library.add_file(lab, name, bytes).await;
                    follow_model(datasets, library, lab, training).await;
                }
                Err(message) => library.message.set(Some(message)),
            }
        });
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        open_files(input.files());
        input.set_value("");
    };
    // Deleting cannot be undone, so it is confirmed; the model of the training run takes the
    // run with it (a run whose weights are gone could not be resumed), and says so first.
    let on_delete = move |_| {
        let id = active_id();
        if !id.starts_with("stored:") {
            return;
        }
        let run_model = training.is_some_and(|t| t.is_run_entry(&id));
        let l = lab.lang_untracked();
        let question = if run_model {
            l.text(
                "This is the model the training run is building: deleting it ends the run, and its \
                 curves go too. Delete it?",
                "这是训练正在构建的模型：删除它会结束这次训练，训练曲线也会一并删除。要删除吗？",
            )
            .to_string()
        } else {
            let name = library.name_of(&id);
            let name = name.get(l);
            l.text(
                format!("Delete “{name}” from this browser? This cannot be undone."),
                format!("要从这个浏览器中删除“{name}”吗？此操作无法撤销。"),
            )
        };
        let confirmed = web_sys::window()
            .and_then(|w| w.confirm_with_message(&question).ok())
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        if let (true, Some(training)) = (run_model, training) {
            training.reset();
        }
        leptos::task::spawn_local(async move {
            library.remove(id).await;
            library.select(lab, pretrained_id(DEFAULT_PRETRAINED)).await;
        });
    };
    // Dropping a file anywhere on the page loads it.
    let on_drop = window_event_listener(leptos::ev::drop, move |ev| {
        ev.prevent_default();
        open_files(ev.data_transfer().and_then(|d| d.files()));
    });
    let on_dragover = window_event_listener(leptos::ev::dragover, |ev| ev.prevent_default());
    on_cleanup(move || {
        on_drop.remove();
        on_dragover.remove();
    });

    // A message about the library also shows at the bottom of the screen for a few seconds,
    // so a file dropped while the picker is scrolled away is answered where the person is.
    let toast = RwSignal::new(None::<Said>);
    Effect::new(move |_| {
        let Some(text) = library.message.get() else {
            return;
        };
        toast.set(Some(text.clone()));
        set_timeout(
            move || {
                if toast.with_untracked(|t| t.as_ref() == Some(&text)) {
                    toast.set(None);
                }
            },
            std::time::Duration::from_millis(TOAST_MS),
        );
    });
    let status = move || match (
        lab.active.with(Option::is_some),
        library.message.with(Option::is_some),
    ) {
        (true, _) => "ready",
        (false, true) => "failed",
        (false, false) => "loading",
    };
    view! {
        <div class="model-picker">
            <div class="picker-row">
                <label>
                    {tr("Model ", "模型 ")}
                    <select id="model-select" on:change=on_change>
                        <optgroup label=tr("Pretrained", "预训练")>
                            {PRETRAINED
                                .iter()
                                .map(|p| {
                                    let id = pretrained_id(p.id);
                                    let value = id.clone();
                                    view! {
                                        <option value=value selected=move || active_id() == id
                                            title=move || lang().text(
                                                format!("{} (pretrained)", p.config),
                                                format!("{}（预训练）", config_words(&p.config, Lang::Zh)),
                                            )>{move || lang().text(p.name, p.name_zh)}</option>
                                    }
                                })
                                .collect_view()}
                        </optgroup>
                        <optgroup label=tr("Trained or loaded in this browser", "在这个浏览器中训练或载入的")>
                            <For each=move || library.entries.get() key=|e| (e.id.clone(), e.name.clone()) let:entry>
                                {
                                    let (id, name) = (entry.id.clone(), entry.name);
                                    view! { <option value=entry.id selected=move || active_id() == id>{move || name.get(lang()).to_string()}</option> }
                                }
                            </For>
                        </optgroup>
                    </select>
                </label>
                <button on:click=on_download title=tr("Save the current model as a .safetensors file",
                    "把当前模型保存为 .safetensors 文件")>{tr("Download", "下载")}</button>
                <label class="button file-button" title=tr("Load a .safetensors file saved by Latent Lab (or drop it on the page)",
                    "载入由 Latent Lab 保存的 .safetensors 文件（也可以把它拖放到页面上）")>
                    {tr("Load file…", "载入文件…")}
                    <input type="file" id="model-file" accept=".safetensors" on:change=on_pick />
                </label>
                <button on:click=on_delete disabled=move || !active_id().starts_with("stored:")>{tr("Delete", "删除")}</button>
            </div>
            <p class="model-info" data-model=active_id data-status=status>
                {move || {
                    let l = lang();
                    match (lab.active.get(), lab.drawn()) {
                        (Some(m), _) => describe(&m, l),
                        (None, Some(_)) => l.text(
                            "Loading the pretrained model: its decoder is in and draws; its encoder is on its way…",
                            "正在载入预训练模型：解码器已就绪，可以生成图片；编码器仍在下载…",
                        ).into(),
                        (None, None) => l.text("Loading the pretrained model…", "正在载入预训练模型…").into(),
                    }
                }}
            </p>
            <p class="library-message" role="status">{move || library.message.with(|m| said_in(lang(), m))}</p>
            // Seen, not read out twice: the line above is the live region.
            <div class="toast" aria-hidden="true" data-shown=move || toast.with(Option::is_some).to_string()>
                {move || toast.with(|t| said_in(lang(), t))}
            </div>
        </div>
    }
}
