//! The training panel: settings, buttons, progress and the live charts.

use leptos::prelude::*;

use super::charts::{epoch_caption, KlBars, LineChart, Series};
use super::number_field::NumberField;
use super::settings::Settings;
use super::{DataStatus, Training};
use crate::ml::eval::ACTIVE_UNIT_NATS;
use crate::ml::model::MAX_LATENT;
use crate::ml::model::{ModelConfig, ModelKind};
use crate::ml::train::{check_epochs, TrainConfig, DEFAULT_EPOCHS, EPOCH_RANGE};
use crate::protocol::{EpochReport, RunState, ScoredOn};
use crate::ui::why::Why;
use crate::ui_logic::chart_scale::smooth;
use crate::ui_logic::pace::SMALL_SET_STEPS;

/// Seconds as "1:05" or "1:02:05".
fn clock_text(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

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
    // Each field checks its own number with the core's rules, so its message is the core's.
    let model_problem = |config: ModelConfig| config.validate().err().map(|e| e.to_string());
    let train_problem = |config: TrainConfig| config.validate().err().map(|e| e.to_string());
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
    let check_epochs_field = Callback::new(|v: usize| check_epochs(v).err().map(|e| e.to_string()));
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
    let hidden_hint = Signal::derive(move || {
        let k = kind.get();
        let (min, max) = k.hidden_range();
        format!(
            "{} of the {} ({min} to {max})",
            k.width_meaning(),
            k.label()
        )
    });
    // The data's training pictures: a batch as large as all of them is one step an epoch.
    let batch_hint = Signal::derive(move || {
        let (count, words) = training.lab.training_set_words();
        if batch.get() >= count {
            format!("pictures per step; all {words} fit in one step, so an epoch is one step: a smaller batch takes more")
        } else {
            "pictures per step".to_string()
        }
    });
    let epochs_hint = Signal::derive(move || {
        let (_, words) = training.lab.training_set_words();
        format!(
            "passes over the {words} ({} to {})",
            EPOCH_RANGE.start(),
            EPOCH_RANGE.end()
        )
    });
    let start = move |_| training.start_from_settings();

    let state = move || training.state();
    let running = move || state() == Some(RunState::Running);
    let can_start = move || training.can_start();
    let has_run = move || training.plan.with(Option::is_some);

    let progress_text = move || {
        let p = training.progress.get()?;
        let total = p.total_steps;
        let eta = p
            .eta_seconds
            .map(|s| format!(" · ETA {}", clock_text(s)))
            .unwrap_or_default();
        let state = match p.state {
            RunState::Running => "training",
            RunState::Paused => "paused",
            RunState::Diverged => "stopped: diverged",
            RunState::Finished => "finished",
        };
        // The mean of the last few steps: the raw per-step loss jumps with each batch.
        let loss = training.losses.with(|l| {
            let recent = &l[l.len().saturating_sub(10)..];
            (!recent.is_empty())
                .then(|| recent.iter().map(|s| s.loss.total).sum::<f32>() / recent.len() as f32)
        });
        let loss = loss.map(|l| format!(" · loss {l:.1}")).unwrap_or_default();
        let target = training
            .plan
            .with(|plan| plan.as_ref().map_or(p.beta, |plan| plan.train.beta));
        let warming = if p.beta < target - 1e-9 {
            format!(" · β {:.2} of {target} (KL warm-up)", p.beta)
        } else {
            String::new()
        };
        Some(format!(
            "{state} · epoch {} of {} · step {} of {total}{loss}{warming} · {:.0} samples/s{eta}",
            (p.epochs_done + 1).min(p.epochs),
            p.epochs,
            p.step,
            p.samples_per_sec
        ))
    };
    let fraction = move || {
        training.progress.with(|p| {
            p.as_ref()
                .map_or(0.0, |p| p.step as f64 / p.total_steps.max(1) as f64)
        })
    };

    let step_series = Signal::derive(move || {
        training.losses.with(|losses| {
            let pick = |f: fn(&crate::protocol::StepLoss) -> f32| {
                smooth(losses.iter().map(|l| (l.step as f64, f(l) as f64)), 0.1)
            };
            vec![
                Series {
                    name: "loss",
                    class: "total",
                    points: pick(|l| l.loss.total),
                },
                Series {
                    name: "reconstruction",
                    class: "recon",
                    points: pick(|l| l.loss.recon),
                },
            ]
        })
    });
    let kl_step_series = Signal::derive(move || {
        training.losses.with(|losses| {
            vec![Series {
                name: "KL",
                class: "kl",
                points: smooth(
                    losses.iter().map(|l| (l.step as f64, l.loss.kl as f64)),
                    0.1,
                ),
            }]
        })
    });
    let epoch_series = Signal::derive(move || {
        training.reports.with(|reports| {
            let pick = |f: fn(&crate::protocol::EpochReport) -> f64| {
                reports.iter().map(|r| (r.epoch as f64, f(r))).collect()
            };
            // A set too small for a test split is scored on its training images; the legend
            // says so, since those figures measure fit, not generalisation.
            let on_test = reports
                .last()
                .is_none_or(|r| r.scored_on == ScoredOn::TestImages);
            let (neg_elbo, recon, kl) = if on_test {
                ("test −ELBO", "test recon", "test KL")
            } else {
                (
                    "−ELBO (training images)",
                    "recon (training)",
                    "KL (training)",
                )
            };
            vec![
                Series {
                    name: neg_elbo,
                    class: "total",
                    points: pick(|r| r.neg_elbo),
                },
                Series {
                    name: recon,
                    class: "recon",
                    points: pick(|r| r.recon),
                },
                Series {
                    name: kl,
                    class: "kl",
                    points: pick(|r| r.kl),
                },
                Series {
                    name: "train loss",
                    class: "train",
                    points: pick(|r| r.train.total as f64),
                },
            ]
        })
    });
    let epoch_caption = move || training.reports.with(|r| epoch_caption(r.last()));
    let last_score = move |pick: fn(&EpochReport) -> f64| {
        training
            .reports
            .with(|r| r.last().map(|last| pick(last).to_string()))
    };
    let kl_per_dim = Signal::derive(move || {
        training
            .reports
            .with(|r| r.last().map(|r| r.kl_per_dim.clone()).unwrap_or_default())
    });
    let active_text = move || {
        training.reports.with(|r| {
            r.last().map(|r| {
                format!(
                    "{} of {} dimensions active (KL > {ACTIVE_UNIT_NATS} nats)",
                    r.active_units,
                    r.kl_per_dim.len()
                )
            })
        })
    };

    view! {
        <section class="panel training-panel" aria-labelledby="training-title"
            data-restore=move || if training.restore_checked.get() { "checked" } else { "pending" }>
            <h2 id="training-title">"Train a model in a web worker"</h2>
            <p class="caption">"Train a model of your own, here in a background worker, and watch its curves."</p>
            <Why>
                <p>
                    "Training runs in a background worker with candle's autograd, so this page never freezes. Each step "
                    "minimises reconstruction + β·KL on the training pictures (8,000 MNIST digits, or four in five of your own); after each epoch the test set is scored. "
                    "While it learns, the explorer above uses the newest weights a few times a second: watch the latent space "
                    "organise itself. Large β pushes codes towards the prior (and can switch dimensions off)."
                </p>
            </Why>
            <div class="training-settings">
                <label class="field kind">
                    <span>"model"</span>
                    <select on:change=on_kind>
                        {ModelKind::ALL.map(|k| view! { <option value=k.id() selected=move || kind.get() == k>{k.label()}</option> })}
                    </select>
                </label>
                <NumberField label="latent" value=latent check=check_latent invalid
                    hint=format!("latent dimensions z (1 to {MAX_LATENT})") />
                <NumberField label="hidden" value=hidden hint=hidden_hint check=check_hidden invalid />
                <NumberField label="β" value=beta check=check_beta invalid
                    hint="weight of the KL term: 1 is the ELBO" />
                <NumberField label="KL warm-up" value=warmup check=check_warmup invalid
                    hint="epochs over which β rises from 0 to its value (0: none)" />
                <NumberField label="learning rate" value=learning_rate check=check_learning_rate invalid
                    hint="Adam's step size; 1e-3 is a good start" />
                <NumberField label="batch" value=batch check=check_batch invalid hint=batch_hint />
                <NumberField label="epochs" value=epochs check=check_epochs_field invalid
                    hint=epochs_hint />
                <NumberField label="seed" value=seed check=any_seed invalid
                    hint="fixes the initial weights, the order and the noise" />
            </div>
            <div class="buttons training-buttons">
                <button class="start" on:click=start disabled=move || !can_start()>"Start"</button>
                <button class="pause" on:click=move |_| training.pause() disabled=move || !running()>"Pause"</button>
                <button class="resume" on:click=move |_| training.resume()
                    disabled=move || !matches!(state(), Some(RunState::Paused | RunState::Diverged))>"Resume"</button>
                <button class="step" on:click=move |_| training.step()
                    disabled=move || !matches!(state(), Some(RunState::Paused | RunState::Diverged))>"Step"</button>
                <button class="reset" on:click=move |_| training.reset() disabled=move || !has_run()>"Reset"</button>
                <label class="follow">
                    <input type="checkbox" prop:checked=move || training.follow.get()
                        on:change=move |ev| training.follow.set(event_target_checked(&ev)) />
                    " explore the newest weights"
                </label>
            </div>
            <p class="hint small-set-pace" hidden=move || settings.small_set_pace().is_none()>
                {move || settings.small_set_pace().map(|pace| {
                    let (count, words) = training.lab.training_set_words();
                    let (batch, epochs) = (TrainConfig::default().batch_size, DEFAULT_EPOCHS);
                    format!(
                        "Batch {} and {} epochs were chosen for {words}: about {SMALL_SET_STEPS} steps, where the \
                         digits' batch of {batch} and {epochs} epochs would take {}. Change either, and your \
                         numbers stay.",
                        pace.batch, pace.epochs, count.div_ceil(batch) * epochs
                    )
                })}
            </p>
            <p class="hint one-step-epochs" hidden=move || batch_hint.with(|h| !h.contains("one step"))>
                {move || {
                    let (_, words) = training.lab.training_set_words();
                    format!("Batch {} takes all {words} in one step, so each epoch is a single step: a smaller batch (or more epochs) lets the model learn more.", batch.get())
                }}
            </p>
            <div class="progress-row">
                <progress max="1" value=fraction></progress>
                <span class="progress-text" data-state=move || state().map_or("idle".to_string(), |s| format!("{s:?}").to_lowercase())>
                    {move || progress_text().unwrap_or_else(|| match training.data.get() {
                        DataStatus::Loading => "The worker is loading the data…".to_string(),
                        DataStatus::Ready => "Ready: choose settings and press Start.".to_string(),
                        DataStatus::Unavailable(e) => format!("Training is unavailable: the digits could not be loaded ({e}). The pretrained models still work."),
                    })}
                </span>
            </div>
            <p class="hint threads" hidden=move || training.threads.with(Option::is_none)
                data-threads=move || training.threads.with(|t| t.as_ref().map_or(0, |t| t.0))>
                {move || training.threads.with(|t| match t {
                    Some((1, Some(why))) => format!("Training uses one thread: {why}."),
                    Some((n, _)) if *n > 1 => format!("Training uses {n} threads, one per core: each computes about half of every batch."),
                    _ => "Training uses one thread.".to_string(),
                })}
            </p>
            <p class=move || format!("training-message {}", training.message.with(|m| m.as_ref().map_or("", |m| m.class())))
                aria-live="polite">{move || training.message.with(|m| m.as_ref().map(|m| m.text.clone()))}</p>
            // Four empty frames say nothing: until a run exists, one line says what will be here.
            <Show when=move || training.plan.with(Option::is_some)
                fallback=|| view! { <p class="charts-empty hint">"When a run starts, its curves appear here: the loss and its two parts per step, the test set after each epoch, and the KL each latent dimension carries."</p> }>
                <div class="charts">
                    <figure>
                        <LineChart series=step_series x_label="step" y_label="nats per image" title="training loss and reconstruction per step, smoothed" />
                        <figcaption>"training loss per step (smoothed)"</figcaption>
                    </figure>
                    <figure>
                        <LineChart series=kl_step_series x_label="step" y_label="nats per image" title="KL per step, smoothed" />
                        <figcaption>"KL term per step (smoothed)"</figcaption>
                    </figure>
                    <figure class="epoch-figure" data-neg-elbo=move || last_score(|r| r.neg_elbo)
                        data-recon=move || last_score(|r| r.recon)>
                        <LineChart series=epoch_series x_label="epoch" y_label="nats per image" title="test negative ELBO, reconstruction and KL per epoch" />
                        <figcaption>{move || epoch_caption()}</figcaption>
                    </figure>
                    <figure>
                        <KlBars kl=kl_per_dim threshold=ACTIVE_UNIT_NATS />
                        <figcaption>{move || active_text().unwrap_or_else(|| "KL per latent dimension".to_string())}</figcaption>
                    </figure>
                </div>
            </Show>
        </section>
    }
}
