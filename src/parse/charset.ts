import { isUtf8 } from "node:buffer";

/** The text of a body and the charset it was decoded with. */
export interface DecodedBody {
  text: string;
  /** The WHATWG name of the encoding used, e.g. `"utf-8"`, `"gbk"`. */
  charset: string;
}

const HEADER_CHARSET = /charset\s*=\s*["']?\s*([\w.:-]+)/i;
// Matches both `<meta charset="gbk">` and `<meta http-equiv="Content-Type" content="text/html; charset=gbk">`.
const META_CHARSET = /<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i;
// Real pages put the declaration in the head; browsers look at the first 1,024 bytes, some servers pad more.
const PRESCAN_BYTES = 4096;

/**
 * Decodes an HTML body to text. The charset comes from, in order: a byte order mark (unambiguous, so it wins, as in
 * browsers), the `Content-Type` header, a `<meta charset>` or `<meta http-equiv="Content-Type">` declaration in the
 * first 4 KB, else UTF-8. A mislabeled page, whose bytes are not valid in the declared charset, is decoded with the
 * next candidate that fits; if none fits, the first is used with replacement characters.
 *
 * @example
 * ```ts
 * import { decodeHtml } from "./charset.ts";
 * const gbk = Uint8Array.from([0xc4, 0xe3, 0xba, 0xc3]); // "你好" in GBK
 * decodeHtml(gbk, "text/html; charset=gbk").text; // "你好"
 * ```
 */
export function decodeHtml(bytes: Uint8Array, contentType = ""): DecodedBody {
  const candidates: string[] = [];
  const push = (label: string | undefined) => {
    const encoding = label === undefined ? undefined : encodingOf(label);
    if (encoding !== undefined && !candidates.includes(encoding)) candidates.push(encoding);
  };
  push(bomEncoding(bytes));
  push(HEADER_CHARSET.exec(contentType)?.[1]);
  push(metaEncoding(bytes));
  push("utf-8");

  for (const charset of candidates) {
    const text = tryDecode(bytes, charset);
    if (text !== undefined) return { text, charset };
  }
  const charset = candidates[0]!;
  return { text: new TextDecoder(decoderOf(charset)).decode(bytes), charset };
}

function tryDecode(bytes: Uint8Array, charset: string): string | undefined {
  if (charset === "utf-8") {
    // isUtf8 and Buffer's decoder are both far faster than a fatal TextDecoder on large pages.
    if (!isUtf8(bytes)) return undefined;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return buffer.toString("utf8", hasUtf8Bom(bytes) ? 3 : 0);
  }
  try {
    return new TextDecoder(decoderOf(charset), { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The decoder for an encoding. The Encoding Standard decodes gbk with the gb18030 decoder, but Node's gbk decoder does
 * not know gb18030's four-byte sequences and garbles them: pages labelled gbk or gb2312 use them for rare characters.
 */
function decoderOf(charset: string): string {
  return charset === "gbk" ? "gb18030" : charset;
}

/** The WHATWG encoding name for a label, or undefined when Node does not know it. */
function encodingOf(label: string): string | undefined {
  try {
    return new TextDecoder(label.toLowerCase()).encoding;
  } catch {
    return undefined;
  }
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function bomEncoding(bytes: Uint8Array): string | undefined {
  if (hasUtf8Bom(bytes)) return "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  return undefined;
}

/**
 * The encoding a `<meta>` declares. One that says UTF-16 is taken as UTF-8, as the HTML prescan does: the declaration
 * was readable as ASCII, so the page cannot be UTF-16, and decoding it so would turn it into CJK-looking noise.
 */
function metaEncoding(bytes: Uint8Array): string | undefined {
  const label = META_CHARSET.exec(latin1Head(bytes))?.[1];
  const encoding = label === undefined ? undefined : encodingOf(label);
  return encoding === "utf-16le" || encoding === "utf-16be" ? "utf-8" : label;
}

function latin1Head(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PRESCAN_BYTES)).toString("latin1");
}
