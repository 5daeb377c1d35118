// A minimal PNG writer (8-bit greyscale or RGB), so tests and benchmarks can make picture
// files without an image library.

import { deflateSync } from "node:zlib";

/** A PNG of `width × height` grey pixels from `grey(x, y)` (0 black … 255 white). */
export function png(width, height, grey) {
  return encode(width, height, 1, (x, y) => [grey(x, y)]);
}

/** A PNG of `width × height` colour pixels from `rgb(x, y)`, an array [red, green, blue]. */
export function pngRgb(width, height, rgb) {
  return encode(width, height, 3, rgb);
}

/** A PNG of `channels` bytes a pixel (1: greyscale, 3: RGB) from `pixel(x, y)`. */
function encode(width, height, channels, pixel) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => (bytes.reduce((c, b) => crcTable[(c ^ b) & 0xff] ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 3 ? 2 : 0; // truecolour or greyscale
  const stride = width * channels + 1;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixel(x, y).forEach((v, c) => (rows[y * stride + 1 + x * channels + c] = v));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}
