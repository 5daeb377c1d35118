//! Work cut into slices of the page's thread (`ui::clock::in_slices`): pieces grow while they
//! are quick, keep their size when they are slow, and every item is given once, in order.

use wasm_bindgen_test::*;

/// The ranges `in_slices` gave `work`, which takes at least `busy_ms` a piece.
async fn slices_given(
    total: usize,
    first_piece: usize,
    busy_ms: f64,
) -> Vec<std::ops::Range<usize>> {
    use latent_lab::ui::clock::{in_slices, now_ms};
    let mut given = Vec::new();
    in_slices(total, first_piece, |range| {
        let began = now_ms();
        while now_ms() - began < busy_ms {}
        given.push(range);
        Ok::<(), ()>(())
    })
    .await
    .unwrap();
    given
}

#[wasm_bindgen_test]
async fn quick_pieces_of_sliced_work_grow_and_every_item_is_given_once_in_order() {
    let given = slices_given(2_000, 16, 0.0).await;
    let mut next = 0;
    for range in &given {
        assert_eq!(range.start, next, "ranges follow each other: {given:?}");
        next = range.end;
    }
    assert_eq!(next, 2_000);
    assert_eq!(given[0], 0..16);
    // Doubled after each quick piece, up to the largest piece.
    assert_eq!(given[1], 16..48);
    assert_eq!(given.iter().map(|r| r.len()).max(), Some(512), "{given:?}");
}

#[wasm_bindgen_test]
async fn slow_pieces_of_sliced_work_keep_their_size() {
    // Over half of a 10 ms slice each: a piece twice as large could make a long task.
    let given = slices_given(100, 16, 7.0).await;
    assert!(
        given.iter().all(|r| r.len() == 16 || r.end == 100),
        "{given:?}"
    );
    assert_eq!(given.len(), 7);
}
