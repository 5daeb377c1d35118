//! The training panel: settings, buttons, progress, and the run's charts (`run_charts`).

use leptos::prelude::*;

use super::number_field::NumberField;
use super::run_charts::RunCharts;
use super::settings::Settings;
use super::{DataStatus, Training};
use crate::ml::model::MAX_LATENT;
use crate::ml::model::{ModelConfig, ModelKind};
use crate::ml::presets::{BETA_VAE, PLAIN_VAE};
use crate::ml::train::{check_epochs, TrainConfig, DEFAULT_EPOCHS};
use crate::protocol::RunState;
use crate::ui::i18n::{tr, trf, use_lang};
use crate::ui::why::Why;
use crate::ui_logic::error_words::Worded;
use crate::ui_logic::pace::SMALL_SET_STEPS;
use crate::ui_logic::run_words::{
    batch_hint, epochs_hint, hidden_words, kind_label, progress_line,
};

/// A fixed text in both languages, as a `Signal<String>` (for a hint).
fn tr_string(en: &'static str, zh: &'static str) -> Signal<String> {
    trf(move |l| l.text(en, zh).to_string())
}

/// The id of the panel's title: the training strip's "settings and charts" leads there.
pub const TRAINING_TITLE_ID: &str = "training-title";

#[component]
pub fn TrainingPanel(training: Training) -> impl IntoView {
    let settings = training.settings;
    let Settings {
        kind,
        latent,
        hidden,
        beta,
        learning_rate,
        batch,
        epochs,
        seed,
        warmup,
        invalid,
        ..
    } = settings;
    // Each field checks its own number with the core's rules, so its message is the core's,
    // in the language in use (a field follows a switch: its check tracks the language).
    let lang = use_lang();
    let model_problem =
        move |config: ModelConfig| config.validate().err().map(|e| e.worded(lang()));
    let train_problem =
        move |config: TrainConfig| config.validate().err().map(|e| e.worded(lang()));
    let check_latent = Callback::new(move |v: usize| {
        model_problem(ModelConfig::with_default_hidden(kind.get(), v))
    });
    let check_hidden =
        Callback::new(move |v: usize| model_problem(ModelConfig::new(kind.get(), 1, v)));
    let check_beta = Callback::new(move |v: f64| {
        train_problem(TrainConfig {
            beta: v,
            ..TrainConfig::default()
        })
    });
    let check_warmup = Callback::new(move |v: usize| {
        train_problem(TrainConfig {
            warmup_epochs: v,
            ..TrainConfig::default()
        })
    });
    let check_learning_rate = Callback::new(move |v: f64| {
        train_problem(TrainConfig {
            learning_rate: v,
            ..TrainConfig::default()
        })
    });
    let check_batch = Callback::new(move |v: usize| {
        train_problem(TrainConfig {
            batch_size: v,
            ..TrainConfig::default()
        })
    });
    let check_epochs_field =
        Callback::new(move |v: usize| check_epochs(v).err().map(|e| e.worded(lang())));
    let any_seed = Callback::new(|_: u64| None);

    // Learning rate, β, batch size and warm-up apply to a run in progress as soon as they change.
    Effect::new(move |first: Option<()>| {
        let _ = (learning_rate.get(), beta.get(), batch.get(), warmup.get());
        if first.is_some() {
            training.set_hyper_parameters(settings.train_config());
        }
    });
    // A run brought back after a reload shows its own settings, so that editing one of them
    // does not send the panel's defaults for the others. Only a new run (a new library entry)
    // does this, not every change of the plan.
    Effect::new(move |previous: Option<Option<String>>| {
        let entry = training
            .plan
            .with(|p| p.as_ref().map(|p| p.entry_id.clone()));
        if entry.is_none() || previous.as_ref() == Some(&entry) {
            return entry;
        }
        if let Some(plan) = training.plan.get_untracked() {
            settings.show(&plan);
        }
        entry
    });
    let on_kind = move |ev: leptos::ev::Event| {
        let Some(k) = ModelKind::from_id(&event_target_value(&ev)) else {
            return;
        };
        // Each kind's own width: an MLP's hidden units differ from a convolution's channels.
        hidden.set(k.default_hidden());
        kind.set(k);
    };
    let hidden_hint = Signal::derive(move || hidden_words(kind.get(), lang()));
    // The data's training pictures: a batch as large as all of them is one step an epoch.
    let one_step_epochs = Memo::new(move |_| {
        let (count, _) = training.lab.training_set_words();
        batch.get() >= count
    });
    let batch_hint = Signal::derive(move || {
        let (_, words) = training.lab.training_set_words();
        batch_hint(one_step_epochs.get(), &words, lang())
    });
    let epochs_hint = Signal::derive(move || {
        let (_, words) = training.lab.training_set_words();
        epochs_hint(&words, lang())
    });
    let start = move |_| training.start_from_settings();

    let state = move || training.state();
    let running = move || state() == Some(RunState::Running);
    let can_start = move || training.can_start();
    let has_run = move || training.plan.with(Option::is_some);

    let progress_text = move || {
        let p = training.progress.get()?;
        // The mean of the last few steps: the raw per-step loss jumps with each batch.
        let loss = training.losses.with(|l| {
            let recent = &l[l.len().saturating_sub(10)..];
            (!recent.is_empty())
                .then(|| recent.iter().map(|s| s.loss.total).sum::<f32>() / recent.len() as f32)
        });
        let target = training
            .plan
            .with(|plan| plan.as_ref().map_or(p.beta, |plan| plan.train.beta));
        Some(progress_line(&p, loss, target, lang()))
    };
    let fraction = move || {
        training.progress.with(|p| {
            p.as_ref()
                .map_or(0.0, |p| p.step as f64 / p.total_steps.max(1) as f64)
        })
    };

    let has_factors = move || {
        training
            .lab
            .own_data
            .with(|d| d.as_ref().is_some_and(|d| d.factors.is_some()))
    };

    view! {
        <section class="panel training-panel" aria-labelledby=TRAINING_TITLE_ID
            data-restore=move || if training.restore_checked.get() { "checked" } else { "pending" }>
            <h2 id=TRAINING_TITLE_ID tabindex="-1">{tr("Train a model in a web worker", "在后台线程中训练模型")}</h2>
            <p class="caption">{tr("Train a model of your own, here in a background worker, and watch its curves.",
                "就在这个页面的后台线程里训练一个你自己的模型，并观察它的曲线。")}</p>
            <Why>
                <p>
                    {tr("Training runs in a background worker with candle's autograd, so this page never freezes. Each step \
                         minimises reconstruction + β·KL on the training pictures (8,000 MNIST digits, or four in five of your own); after each epoch the test set is scored. \
                         While it learns, the explorer above uses the newest weights a few times a second: watch the latent space \
                         organise itself. Large β pushes codes towards the prior (and can switch dimensions off).",
                        "训练在后台线程中进行，用 candle 的自动微分求梯度，所以页面始终不会卡住。每一步都在训练图片\
                         （8,000 个 MNIST 数字，或你自己数据的五分之四）上最小化 重建 + β·KL；每轮结束后在测试集上评分。\
                         学习过程中，上方的探索区每秒数次换用最新的权重：看着潜空间自己逐渐成形。β 越大，编码越被推向先验\
                         （还可能让一些维度完全失效）。")}
                </p>
            </Why>
            <Show when=has_factors>
                <div class="presets" role="group" aria-label=tr("presets for the generated shapes", "生成形状的预设")>
                    <span>{tr("Presets: ", "预设：")}</span>
                    <button class="preset beta-vae" on:click=move |_| training.settings.apply(&BETA_VAE)>
                        {tr("β-VAE (β = 4, z = 10)", "β-VAE（β = 4，z = 10）")}</button>
                    <button class="preset plain-vae" on:click=move |_| training.settings.apply(&PLAIN_VAE)>
                        {tr("β = 1, for contrast", "β = 1，作对照")}</button>
                </div>
            </Show>
            <div class="training-settings">
                <label class="field kind">
                    <span>{tr("model", "模型")}</span>
                    <select on:change=on_kind>
                        {ModelKind::ALL.map(|k| view! { <option value=k.id() selected=move || kind.get() == k>{move || kind_label(k, lang())}</option> })}
                    </select>
                </label>
                <NumberField name="latent" label=tr("latent", "潜在维度") value=latent check=check_latent invalid
                    hint=trf(|l| l.text(format!("latent dimensions z (1 to {MAX_LATENT})"), format!("潜变量 z 的维度数（1 到 {MAX_LATENT}）"))) />
                <NumberField name="hidden" label=tr("hidden", "隐藏层") value=hidden hint=hidden_hint check=check_hidden invalid />
                <NumberField name="β" label=tr("β", "β") value=beta check=check_beta invalid
                    hint=tr_string("weight of the KL term: 1 is the ELBO", "KL 项的权重：取 1 即为 ELBO") />
                <NumberField name="KL warm-up" label=tr("KL warm-up", "KL 预热") value=warmup check=check_warmup invalid
                    hint=tr_string("epochs over which β rises from 0 to its value (0: none)", "β 从 0 升到设定值所用的轮数（0 表示不预热）") />
                <NumberField name="learning rate" label=tr("learning rate", "学习率") value=learning_rate check=check_learning_rate invalid
                    hint=tr_string("Adam's step size; 1e-3 is a good start", "Adam 优化器的步长；1e-3 是不错的起点") />
                <NumberField name="batch" label=tr("batch", "批大小") value=batch check=check_batch invalid hint=batch_hint />
                <NumberField name="epochs" label=tr("epochs", "轮数") value=epochs check=check_epochs_field invalid
                    hint=epochs_hint />
                <NumberField name="seed" label=tr("seed", "随机种子") value=seed check=any_seed invalid
                    hint=tr_string("fixes the initial weights, the order and the noise", "固定初始权重、数据顺序和噪声") />
            </div>
            <div class="buttons training-buttons">
                <button class="start" on:click=start disabled=move || !can_start()>{tr("Start", "开始")}</button>
                <button class="pause" on:click=move |_| training.pause() disabled=move || !running()>{tr("Pause", "暂停")}</button>
                <button class="resume" on:click=move |_| training.resume()
                    disabled=move || !matches!(state(), Some(RunState::Paused | RunState::Diverged))>{tr("Resume", "继续")}</button>
                <button class="step" on:click=move |_| training.step()
                    disabled=move || !matches!(state(), Some(RunState::Paused | RunState::Diverged))>{tr("Step", "单步")}</button>
                <button class="reset" on:click=move |_| training.reset() disabled=move || !has_run()>{tr("Reset", "重置")}</button>
                <label class="follow">
                    <input type="checkbox" prop:checked=move || training.follow.get()
                        on:change=move |ev| training.follow.set(event_target_checked(&ev)) />
                    {tr(" explore the newest weights", " 用最新的权重探索")}
                </label>
            </div>
            <p class="hint small-set-pace" hidden=move || settings.small_set_pace().is_none()>
                {move || settings.small_set_pace().map(|pace| {
                    let (count, words) = training.lab.training_set_words();
                    let (batch, epochs) = (TrainConfig::default().batch_size, DEFAULT_EPOCHS);
                    let digits_steps = count.div_ceil(batch) * epochs;
                    lang().text(
                        format!(
                            "Batch {} and {} epochs were chosen for {words}: about {SMALL_SET_STEPS} steps, where the \
                             digits' batch of {batch} and {epochs} epochs would take {digits_steps}. Change either, and your \
                             numbers stay.",
                            pace.batch, pace.epochs
                        ),
                        format!(
                            "为这 {words}选了批大小 {} 和 {} 轮：约 {SMALL_SET_STEPS} 步；若用数字数据的批大小 {batch} \
                             和 {epochs} 轮，则为 {digits_steps} 步。改动其中任一项，都会保留你填的数。",
                            pace.batch, pace.epochs
                        ),
                    )
                })}
            </p>
            <p class="hint one-step-epochs" hidden=move || !one_step_epochs.get()>
                {move || {
                    let (_, words) = training.lab.training_set_words();
                    let batch = batch.get();
                    lang().text(
                        format!("Batch {batch} takes all {words} in one step, so each epoch is a single step: a smaller batch (or more epochs) lets the model learn more."),
                        format!("批大小 {batch} 一步就用完全部 {words}，所以每轮只有一步：把批大小调小（或增加轮数），模型能学到更多。"),
                    )
                }}
            </p>
            <div class="progress-row">
                <progress max="1" value=fraction></progress>
                <span class="progress-text" data-state=move || state().map_or("idle".to_string(), |s| format!("{s:?}").to_lowercase())>
                    {move || progress_text().unwrap_or_else(|| {
                        let l = lang();
                        match training.data.get() {
                            DataStatus::Loading => l.text("The worker is loading the data…", "训练线程正在加载数据…").to_string(),
                            DataStatus::Ready => l.text("Ready: choose settings and press Start.", "准备就绪：选好设置，然后按“开始”。").to_string(),
                            DataStatus::Unavailable(e) => {
                                let e = e.get(l);
                                l.text(
                                    format!("Training is unavailable: the digits could not be loaded ({e}). The pretrained models still work."),
                                    format!("无法训练：数字数据加载失败（{e}）。预训练模型仍可使用。"),
                                )
                            }
                        }
                    })}
                </span>
            </div>
            <p class="hint threads" hidden=move || training.threads.with(Option::is_none)
                data-threads=move || training.threads.with(|t| t.as_ref().map_or(0, |t| t.0))>
                {move || {
                    let l = lang();
                    training.threads.with(|t| match t {
                        Some((1, Some(why))) => {
                            let why = why.get(l);
                            l.text(format!("Training uses one thread: {why}."), format!("训练只用一个线程：{why}。"))
                        }
                        Some((n, _)) if *n > 1 => l.text(
                            format!("Training uses {n} threads, one per core: each computes about half of every batch."),
                            format!("训练使用 {n} 个线程，每个核心一个：每个线程大约计算每批的一半。"),
                        ),
                        _ => l.text("Training uses one thread.", "训练只用一个线程。").to_string(),
                    })
                }}
            </p>
            <p class=move || format!("training-message {}", training.message.with(|m| m.as_ref().map_or("", |m| m.class())))
                aria-live="polite">{move || training.message.with(|m| m.as_ref().map(|m| m.text.get(lang()).to_string()))}</p>
            // Four empty frames say nothing: until a run exists, one line says what will be here.
            <Show when=move || training.plan.with(Option::is_some)
                fallback=|| view! { <p class="charts-empty hint">{tr("When a run starts, its curves appear here: the loss and its two parts per step, the test set after each epoch, and the KL each latent dimension carries.",
                    "开始训练后，曲线会显示在这里：每步的损失及其两个组成部分、每轮结束后测试集上的得分，以及每个潜在维度承载的 KL。")}</p> }>
                <RunCharts training />
            </Show>
        </section>
    }
}
