// A zip archive written by hand for the tests (node has deflate but no zip writer): each entry
// stored (method 0) or deflated (method 8), with optional general-purpose flags (bit 0: the
// entry claims to be encrypted) and an optional declared size (a zip bomb declares more than
// it holds).

import { deflateRawSync } from "node:zlib";

const table = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** `entries`: [{ name, data: Buffer, deflate = true, flags = 0, declaredSize }]. */
export function zip(entries) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const { name, data, deflate = true, flags = 0, declaredSize } of entries) {
    const packed = deflate ? deflateRawSync(data) : data;
    const size = declaredSize ?? data.length;
    const nameBytes = Buffer.from(name, "utf8");
    const fields = (head) => {
      head.writeUInt16LE(20, 4);
      head.writeUInt16LE(flags, 6);
      head.writeUInt16LE(deflate ? 8 : 0, 8);
      head.writeUInt32LE(crc32(data), 14);
      head.writeUInt32LE(packed.length, 18);
      head.writeUInt32LE(size, 22);
      head.writeUInt16LE(nameBytes.length, 26);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    fields(local);
    locals.push(local, nameBytes, packed);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    // The central entry's fields sit 2 bytes further on than the local header's.
    const shifted = Buffer.alloc(30);
    fields(shifted);
    shifted.copy(entry, 6, 4, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
