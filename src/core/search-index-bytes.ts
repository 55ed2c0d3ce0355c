import { INDEX_VERSION, type FileIndex, type IndexHeader } from './search-index.js';

/**
 * A file index as bytes and back: magic, header length, JSON header, then the typed arrays, each
 * 8-byte aligned, then the dictionary. Loading is a few views over one buffer, no parsing. Pure.
 */
const MAGIC = 'ASIDX001';
const pad8 = (n: number) => (n + 7) & ~7;

/** The index as bytes: magic, header length, JSON header, then the arrays, each 8-byte aligned. */
export function encodeIndex(index: FileIndex): Buffer {
  const header = Buffer.from(JSON.stringify(index.header));
  const parts: Buffer[] = [Buffer.from(MAGIC), uint32(header.length), header];
  let size = 12 + header.length;
  const add = (view: ArrayBufferView | Buffer) => {
    const bytes = Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    const gap = pad8(size) - size;
    if (gap) parts.push(Buffer.alloc(gap));
    parts.push(bytes);
    size += gap + bytes.length;
  };
  for (const view of arrays(index)) add(view);
  add(Buffer.from(index.dict));
  return Buffer.concat(parts);
}

const arrays = (index: FileIndex) => [index.at, index.line, index.offset, index.length, index.agent, index.postings, index.docLength, index.kind];

/** The index back from its bytes, or undefined when they are not an index of this version. */
export function decodeIndex(bytes: Buffer): FileIndex | undefined {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) return undefined;
  const headerLength = bytes.readUInt32LE(8);
  let header: IndexHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)) as IndexHeader;
  } catch {
    return undefined;
  }
  if (header.version !== INDEX_VERSION) return undefined;
  // Typed arrays need aligned memory: a Buffer from the shared pool may not be.
  const buffer = bytes.byteOffset % 8 === 0 ? bytes : Buffer.from(bytes);
  let at = 12 + headerLength;
  const take = <T>(make: (buffer: ArrayBuffer, offset: number, length: number) => T, count: number, width: number): T => {
    at = pad8(at);
    const view = make(buffer.buffer as ArrayBuffer, buffer.byteOffset + at, count);
    at += count * width;
    return view;
  };
  const n = header.docs;
  try {
    const index = {
      at: take((b, o, l) => new Float64Array(b, o, l), n, 8),
      line: take((b, o, l) => new Uint32Array(b, o, l), n, 4),
      offset: take((b, o, l) => new Uint32Array(b, o, l), n, 4),
      length: take((b, o, l) => new Uint32Array(b, o, l), n, 4),
      agent: take((b, o, l) => new Uint32Array(b, o, l), n, 4),
      postings: take((b, o, l) => new Uint32Array(b, o, l), header.postings * 2, 4),
      docLength: take((b, o, l) => new Uint16Array(b, o, l), n, 2),
      kind: take((b, o, l) => new Uint8Array(b, o, l), n, 1),
    };
    at = pad8(at);
    if (at + header.dictBytes !== buffer.length) return undefined;
    return { header, ...index, dict: buffer.toString('utf8', at, at + header.dictBytes) };
  } catch {
    return undefined;
  }
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return bytes;
}
