//! The pictures of a zip archive, unpacked in the import worker. The archive is listed by
//! `ml::dataset::archive` (a bomb, an encrypted or overlapping archive refused before anything
//! is inflated); each deflated file is inflated by the browser's
//! `DecompressionStream("deflate-raw")`, read a chunk at a time and stopped as soon as it would
//! pass the size the archive declares for it.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ReadableStream, ReadableStreamDefaultReader, ReadableWritablePair, WritableStream,
};

use crate::ml::dataset::archive::Packed;

// The browser's inflater. (web-sys has it only behind its unstable APIs, which would mean other
// compiler flags for the whole build.)
#[wasm_bindgen]
extern "C" {
    type DecompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<DecompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &DecompressionStream) -> ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &DecompressionStream) -> WritableStream;
}

/// A blob of `bytes`.
pub(super) fn blob_of(bytes: &[u8]) -> Option<Blob> {
    Blob::new_with_u8_array_sequence(&Array::of1(&Uint8Array::from(bytes))).ok()
}

/// The file's own bytes: stored ones as they are, deflated ones inflated. The error says what
/// is wrong with it (for the tally, it is a picture that could not be read).
pub(super) async fn unpack(content: &Packed) -> Result<Vec<u8>, String> {
    match content {
        Packed::Stored(bytes) => Ok(bytes.clone()),
        Packed::Deflated { data, size } => inflate(data, *size).await,
    }
}

async fn inflate(data: &[u8], size: u64) -> Result<Vec<u8>, String> {
    let failed = |_| "it could not be inflated".to_string();
    let blob = blob_of(data).ok_or("it could not be read")?;
    let inflater = DecompressionStream::new("deflate-raw").map_err(failed)?;
    let stream = blob.stream().pipe_through(&ReadableWritablePair::new(
        &inflater.readable(),
        &inflater.writable(),
    ));
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut out = Vec::with_capacity(size.min(1 << 24) as usize);
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(failed)?;
        if Reflect::get(&chunk, &"done".into()).is_ok_and(|d| d.is_truthy()) {
            break;
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(failed)?
            .unchecked_into();
        if out.len() as u64 + u64::from(value.length()) > size {
            let _ = reader.cancel();
            return Err(format!(
                "it inflates to more than the {size} bytes it declares"
            ));
        }
        out.extend(value.to_vec());
    }
    if out.len() as u64 != size {
        return Err(format!(
            "it inflates to {} bytes, not the {size} it declares",
            out.len()
        ));
    }
    Ok(out)
}
