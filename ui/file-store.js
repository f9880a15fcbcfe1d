// Where received files and recordings are written, and the files' integrity digest. No DOM.
//
// Storage: the Origin Private File System (`navigator.storage.getDirectory()`), folder
// `moim-files`, one entry per transfer or recording, written through a
// `FileSystemWritableFileStream` (Chromium writes it to a swap file and moves it into place on
// close, so an aborted write leaves no entry); the finished entry's disk-backed `File` is what
// the download link offers, so a 2 GiB file never sits whole in memory. Where the page has no
// OPFS (not a secure context, an old browser) the blocks are kept as in-memory Blob parts.
// The folder is emptied when the page starts and when it leaves a meeting (the links die with
// the page, so nothing left there could be reached again).
//
// Digest: WebCrypto has no streaming SHA-256, so a file's digest is SHA-256 over the
// concatenated SHA-256 digests of its 1 MiB blocks (the last one shorter; an empty file is
// SHA-256 of nothing). Each block is hashed natively (crypto.subtle, off the main thread) as
// it is read or received, and the final digest costs one more hash of 32 bytes per MiB.

/** The hashing block (and the unit receivers write to disk). */
export const BLOCK = 1 << 20;
/** The OPFS folder. */
export const STORE_DIR = 'moim-files';

/** @param {ArrayBuffer} buf */
export function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The block-list digest (see the header), fed block by block in order. */
export class BlockHasher {
  constructor() {
    /** @type {Promise<ArrayBuffer>[]} */
    this.parts = [];
  }

  /** @param {Uint8Array} block BLOCK bytes (fewer for the last); copied at once by WebCrypto */
  add(block) {
    this.parts.push(crypto.subtle.digest('SHA-256', /** @type {Uint8Array<ArrayBuffer>} */ (block)));
  }

  /** The digest (hex) of everything added. */
  async digest() {
    const all = await Promise.all(this.parts);
    const cat = new Uint8Array(all.length * 32);
    all.forEach((d, i) => cat.set(new Uint8Array(d), i * 32));
    return hex(await crypto.subtle.digest('SHA-256', cat));
  }
}

/** Whether files can be hashed here (WebCrypto needs a secure context). */
export function canHash() {
  return typeof crypto !== 'undefined' && !!crypto.subtle;
}

/** @returns {Promise<FileSystemDirectoryHandle|null>} */
async function folder() {
  try {
    if (!navigator.storage?.getDirectory) return null;
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle(STORE_DIR, { create: true });
  } catch {
    return null;
  }
}

/**
 * @typedef {object} Sink
 * @property {boolean} disk written to OPFS (else kept in memory)
 * @property {(data: Uint8Array|Blob) => Promise<void>} write in order
 * @property {() => Promise<File>} close the whole file
 * @property {() => Promise<void>} abort nothing is left behind
 */

/**
 * A new entry `name` to write to, on disk where the browser can.
 * @param {string} name
 * @param {string} type the file's MIME type
 * @returns {Promise<Sink>}
 */
export async function openSink(name, type) {
  const dir = await folder();
  if (dir) {
    try {
      const handle = await dir.getFileHandle(name, { create: true });
      const w = await handle.createWritable();
      return {
        disk: true,
        write: (data) => w.write(/** @type {any} */ (data)),
        async close() {
          await w.close();
          const f = await handle.getFile();
          return new File([f], name, { type: type || f.type });
        },
        async abort() {
          await w.abort().catch(() => {});
          await dir.removeEntry(name).catch(() => {});
        },
      };
    } catch {
      await dir.removeEntry(name).catch(() => {});
    }
  }
  /** @type {(Uint8Array|Blob)[]} */
  let parts = [];
  return {
    disk: false,
    async write(data) {
      parts.push(data);
    },
    async close() {
      return new File(/** @type {BlobPart[]} */ (parts), name, { type });
    },
    async abort() {
      parts = [];
    },
  };
}

/** @param {string} name */
export async function removeStored(name) {
  const dir = await folder();
  await dir?.removeEntry(name).catch(() => {});
}

/** The names in the folder (test hook: nothing of a cancelled transfer stays). */
export async function storedNames() {
  const dir = await folder();
  /** @type {string[]} */
  const names = [];
  if (!dir) return names;
  for await (const key of /** @type {any} */ (dir).keys()) names.push(key);
  return names;
}

/** Empty the folder. */
export async function clearStore() {
  for (const name of await storedNames()) await removeStored(name);
}
