//! Restoration: damage a digit (wipe out a patch, or add noise) and let the model reconstruct
//! it. The encoder maps the damaged input near the code of a clean digit, and the decoder can
//! only draw digit-like images, so the reconstruction is usually closer to the original than
//! the damaged input is: denoising, and inpainting (which keeps the known pixels and fills
//! only the hole). The errors say by how much.

use leptos::html::Section;
use leptos::prelude::*;

use super::clock::now_ms;
use super::digit_view::DigitView;
use super::i18n::{tr, use_lang, Lang};
use super::state::use_lab;
use super::visibility::Viewport;
use super::why::Why;
use crate::ml::dataset::ImageShape;
use crate::ml::explore::encode_one;
use crate::ml::probes::{erased, fill_hole, mean_squared_error, patch_mask, salt_and_pepper};
use crate::ml::rng::Rng;
use crate::ui_logic::words::Noun;

/// What is done to the picture.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Damage {
    /// A square patch wiped out at (row, col), of side `size`: each a fraction of the image's
    /// side, so the same damage fits a 28×28 digit and a 64×64 photo.
    Patch { row: f32, col: f32, size: f32 },
    /// Salt-and-pepper noise on this fraction of the pixels, from this seed.
    Noise { fraction: f32, seed: u64 },
}

/// Where the digit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Test(usize),
    Drawing,
}

/// Encode–decode rounds of an inpainting.
const INPAINT_ROUNDS: usize = 4;

/// A patch's side, as a fraction of the image's (10 pixels of a digit's 28).
const PATCH: f32 = 10.0 / 28.0;

/// A blank picture, shown until there is one.
fn zeros() -> Vec<f32> {
    vec![0.0; ImageShape::DIGITS.values()]
}

/// The hole of a patch in an image of `shape`.
fn hole_at(shape: ImageShape, (row, col, size): (f32, f32, f32)) -> (usize, usize, usize) {
    let pixels = |f: f32| ((f * shape.side as f32).round() as usize).min(shape.side - 1);
    (pixels(row), pixels(col), pixels(size).max(1))
}

#[component]
pub fn RestorePanel() -> impl IntoView {
    let lab = use_lab();
    let lang = use_lang();
    let source = RwSignal::new(Source::Test(3));
    let damage = RwSignal::new(Damage::Patch {
        row: 12.0 / 28.0,
        col: 0.5,
        size: PATCH,
    });
    let rng = StoredValue::new_local(Rng::new(now_ms().to_bits() ^ 0x5e5702e));

    let original = Memo::new(move |_| match source.get() {
        Source::Test(i) => lab.test.with(|t| {
            t.as_ref()
                .filter(|t| i < t.len())
                .map(|t| t.image(i).to_vec())
        }),
        Source::Drawing => lab.drawing.with(|d| d.as_ref().map(|d| d.pixels.clone())),
    });
    let damaged = Memo::new(move |_| {
        let image = original.get()?;
        let shape = ImageShape::from_values(image.len())?;
        Some(match damage.get() {
            Damage::Patch { row, col, size } => {
                let (row, col, size) = hole_at(shape, (row, col, size));
                erased(&image, shape, row, col, size)
            }
            Damage::Noise { fraction, seed } => {
                salt_and_pepper(&image, fraction, &mut Rng::new(seed))
            }
        })
    });
    // Noise: the reconstruction is the restoration. A wiped patch: the pixels that are known
    // stay, the hole is filled from the reconstruction, and that is encoded again, a few
    // times, so the filled-in strokes and the kept ones come to agree.
    // Only once the chapter has come into view: at start-up it is built before anyone could
    // scroll to it, and inpainting the first test digit cost a long task on a phone.
    let section = NodeRef::<Section>::new();
    let shown = Viewport::shows(section);
    let seen = Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || shown.get());
    let restored = Memo::new(move |_| {
        if !seen.get() {
            return None;
        }
        let input = damaged.get()?;
        let active = lab.active.get()?;
        let reconstruct = |image: &[f32]| -> Option<Vec<f32>> {
            let code = encode_one(&active.model, image).ok()?;
            active.decode_one(&code.mean).ok()
        };
        match damage.get() {
            Damage::Noise { .. } => reconstruct(&input),
            Damage::Patch { row, col, size } => {
                let shape = ImageShape::from_values(input.len())?;
                let (row, col, size) = hole_at(shape, (row, col, size));
                let hole = patch_mask(shape, row, col, size);
                let mut current = input.clone();
                for _ in 0..INPAINT_ROUNDS {
                    current = fill_hole(&input, &reconstruct(&current)?, &hole);
                }
                Some(current)
            }
        }
    });
    // (damaged vs original, restored vs original) mean squared errors.
    let errors = Memo::new(move |_| {
        let (o, d, r) = (original.get()?, damaged.get()?, restored.get()?);
        Some((mean_squared_error(&d, &o), mean_squared_error(&r, &o)))
    });

    let patch = move |_| {
        // Somewhere in the middle 16/28 of the picture, where the strokes are.
        let place = |r: &mut Rng| (6 + r.below(16)) as f32 / 28.0;
        let (row, col) = rng
            .try_update_value(|r| (place(r), place(r)))
            .unwrap_or((0.5, 0.5));
        damage.set(Damage::Patch {
            row,
            col,
            size: PATCH,
        });
    };
    let noise = move |_| {
        let seed = rng.try_update_value(|r| r.next_u64()).unwrap_or(1);
        damage.set(Damage::Noise {
            fraction: 0.2,
            seed,
        });
    };
    let another = move |_| {
        let n = lab
            .test
            .with_untracked(|t| t.as_ref().map_or(0, |t| t.len()));
        if n > 0 {
            let i = rng.try_update_value(|r| r.below(n)).unwrap_or(0);
            source.set(Source::Test(i));
        }
    };
    // A click on the damaged digit wipes a patch there instead.
    let patch_at = move |ev: leptos::ev::MouseEvent| {
        let Some(target) = ev
            .current_target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        else {
            return;
        };
        let rect = target.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return;
        }
        let fraction = |offset: f64, extent: f64| (offset / extent).clamp(0.0, 1.0) as f32;
        damage.set(Damage::Patch {
            row: fraction(ev.client_y() as f64 - rect.top(), rect.height()),
            col: fraction(ev.client_x() as f64 - rect.left(), rect.width()),
            size: PATCH,
        });
    };

    let show = |m: Memo<Option<Vec<f32>>>| Signal::derive(move || m.get().unwrap_or_else(zeros));
    view! {
        <section class="panel chapter-split restore-panel" aria-labelledby="restore-title" node_ref=section>
            <h2 id="restore-title">{tr("Restore: denoising and inpainting", "修复：去噪与补全")}</h2>
            <p class="caption">{lab.text(move |l, n| match (l, n) {
                (Lang::En, n) => format!("Damage a {one}, and the model repairs it from what \
                    is left.", one = n.one()),
                (Lang::Zh, Noun::Digit) => "弄坏一个数字，模型会根据剩下的部分把它修好。".to_string(),
                (Lang::Zh, Noun::Picture) => "弄坏一张图片，模型会根据剩下的部分把它修好。".to_string(),
            })}</p>
            <Why>
                <p>{lab.text(move |l, n| if l == Lang::Zh {
                    let damage = match n {
                        Noun::Digit => "弄坏一个数字",
                        Noun::Picture => "弄坏一张图片",
                    };
                    format!("{damage}再重建它：编码器仍会找到一个接近干净{zh}的编码，而解码器只能画出像训练{zh}的图像，\
                        所以重建会填上缺口或去掉噪声。数字是与原图相比的均方误差：越低越接近。补全会保留给定的像素，\
                        只填补缺口。噪声会把五分之一的像素变成黑或白。点击被损坏的{zh}，就在那里抹掉一块。", zh = n.zh())
                } else { format!("Damage a {one} and reconstruct it: the encoder still finds a \
                    code near the clean {one}'s, and the decoder can only draw images like the \
                    training {many}, so the reconstruction fills the hole or drops the noise. The \
                    numbers are the mean squared error against the original: lower is closer. An \
                    inpainting keeps the pixels it was given and fills only the hole. The noise \
                    turns a fifth of the pixels black or white. Click the damaged {one} to wipe a \
                    patch there.", one = n.one(), many = n.many()) })}
                </p>
            </Why>
            <div class="buttons">
                <button class="damage-patch" on:click=patch>{tr("Wipe a patch", "抹掉一块")}</button>
                <button class="damage-noise" on:click=noise>{tr("Add noise", "加噪声")}</button>
                <button class="another-digit" on:click=another disabled=move || lab.test.with(Option::is_none)>{lab.text(move |l, n| match (l, n) {
                    (Lang::En, n) => format!("Another test {one}", one = n.one()),
                    (Lang::Zh, Noun::Digit) => "换一个测试数字".to_string(),
                    (Lang::Zh, Noun::Picture) => "换一张测试图片".to_string(),
                })}</button>
                <button class="use-drawing" on:click=move |_| source.set(Source::Drawing)
                    disabled=move || lab.drawing.with(Option::is_none)>{tr("Use my drawing", "用我的手绘")}</button>
            </div>
            <div class="restore-row chapter-figure">
                <figure class="original">
                    <DigitView pixels=show(original) label=lab.text(|l, n| l.text(format!("the original {}", n.one()), format!("原始{}", n.zh()))) />
                    <figcaption>{tr("original", "原图")}</figcaption>
                </figure>
                <figure class="damaged" on:click=patch_at>
                    <DigitView pixels=show(damaged) label=lab.text(|l, n| l.text(format!("the damaged {} (click to wipe \
                        a patch there)", n.one()), format!("被损坏的{}（点击在那里抹掉一块）", n.zh()))) />
                    <figcaption>{move || {
                        let l = lang();
                        errors.get()
                            .map(|e| l.text(format!("damaged · error {:.4}", e.0), format!("损坏后 · 误差 {:.4}", e.0)))
                            .unwrap_or_else(|| l.text("damaged", "损坏后").into())
                    }}</figcaption>
                </figure>
                <figure class="restored">
                    <DigitView pixels=show(restored) label=lab.text(|l, n| l.text(format!("the model's reconstruction \
                        of the damaged {}", n.one()), format!("模型对被损坏{}的重建", n.zh()))) />
                    <figcaption>{move || {
                        let l = lang();
                        errors.get()
                            .map(|e| l.text(format!("restored · error {:.4}", e.1), format!("修复后 · 误差 {:.4}", e.1)))
                            .unwrap_or_else(|| l.text("restored", "修复后").into())
                    }}</figcaption>
                </figure>
            </div>
            <p class="restore-verdict"
                data-damaged=move || errors.get().map(|e| e.0.to_string())
                data-restored=move || errors.get().map(|e| e.1.to_string())>
                {move || {
                    let l = lang();
                    errors.get().map(|(d, r)| if r < d {
                        let closer = 100.0 * (1.0 - r / d.max(1e-9));
                        l.text(
                            format!("The reconstruction is {closer:.0}% closer to the original than the damaged input."),
                            format!("重建结果与原图的差距比损坏后的输入小 {closer:.0}%。"),
                        )
                    } else {
                        let n = lab.noun();
                        l.text(
                            format!("The reconstruction is not closer to the original than the damaged input: the damage changed which {} it looks like.", n.one()),
                            match n {
                                Noun::Digit => "重建结果并不比损坏后的输入更接近原图：损坏改变了它看起来像哪个数字。".to_string(),
                                Noun::Picture => "重建结果并不比损坏后的输入更接近原图：损坏改变了它看起来像哪一类图片。".to_string(),
                            },
                        )
                    })
                }}
            </p>
            <p class="error" role="alert">
                {move || lab.why_no_test_images().map(|why| lang().text(
                    format!("No test images: {why}; draw a picture and use it instead."),
                    format!("没有测试图片：{why}；可以画一张图来代替。"),
                ))}
            </p>
        </section>
    }
}
