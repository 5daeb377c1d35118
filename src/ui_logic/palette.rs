//! The page's colour code, written once: one colour per class of digit (the scatter, the latent
//! plane's dots and their legends all use it).

/// One colour per digit class 0–9 (a colour-blind-friendly set, as far as ten colours allow).
pub const CLASS_COLOURS: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// The colour of class `label` (labels past 9 wrap around).
pub fn class_colour(label: u8) -> &'static str {
    CLASS_COLOURS[class_index(label)]
}

/// Where class `label`'s colour is in [`CLASS_COLOURS`] (labels past 9 wrap around).
pub fn class_index(label: u8) -> usize {
    usize::from(label) % CLASS_COLOURS.len()
}
