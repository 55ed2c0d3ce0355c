import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Where the entries of an index we wrote end, and where the entries we patched are: remembered
 * under the git dir (never in a clone), so the next write in a 50,000-file repository patches its
 * entries without walking the 50,000 before the extensions (3 ms). It is used only for the very
 * index it describes: the index's own trailing checksum (a hash of all its bytes) must be the one
 * recorded, and each remembered entry must still carry its path; anything else walks the index.
 */
export interface IndexShape {
  checksum: string; // hex, the index's trailing hash
  size: number;
  entriesEnd: number;
  offsets: Record<string, number>; // path -> where its entry starts
}

export function readShape(path: string): IndexShape | undefined {
  try {
    const shape = JSON.parse(readFileSync(path, 'utf8')) as IndexShape;
    const valid =
      typeof shape.checksum === 'string' &&
      Number.isSafeInteger(shape.size) &&
      Number.isSafeInteger(shape.entriesEnd) &&
      typeof shape.offsets === 'object' &&
      shape.offsets !== null &&
      Object.values(shape.offsets).every((offset) => Number.isSafeInteger(offset));
    return valid ? shape : undefined;
  } catch {
    return undefined;
  }
}

export function writeShape(path: string, shape: IndexShape): void {
  try {
    writeFileSync(path, JSON.stringify(shape));
  } catch {
    /* a speed-up only: the next write walks the index */
  }
}

/**
 * The entries' end and the wanted entries' offsets, when `shape` describes `index` (versions 2
 * and 3, whose entries carry their whole path): undefined otherwise.
 */
export function knownShape(index: Buffer, shaBytes: number, paths: string[], shape: IndexShape | undefined): IndexShape | undefined {
  if (!shape || shape.size !== index.length) return undefined;
  const trailer = index.subarray(index.length - shaBytes);
  if (trailer.every((byte) => byte === 0) || trailer.toString('hex') !== shape.checksum) return undefined;
  const version = index.readUInt32BE(4);
  if (version !== 2 && version !== 3) return undefined;
  if (shape.entriesEnd < 12 || shape.entriesEnd > index.length - shaBytes) return undefined;
  const flagsAt = 40 + shaBytes;
  for (const path of paths) {
    const start = shape.offsets[path];
    if (start === undefined || start < 12 || start + flagsAt + 2 > shape.entriesEnd) return undefined;
    const flags = index.readUInt16BE(start + flagsAt);
    const nameAt = start + flagsAt + 2 + (flags & 0x4000 ? 2 : 0);
    const name = Buffer.from(path);
    if ((flags & 0x0fff) !== Math.min(name.length, 0x0fff) || nameAt + name.length >= shape.entriesEnd) return undefined;
    if (!index.subarray(nameAt, nameAt + name.length).equals(name) || index[nameAt + name.length] !== 0) return undefined;
  }
  return shape;
}
