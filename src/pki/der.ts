/**
 * Just enough DER to find a field in an X.509 certificate that node:crypto does not expose (the
 * keyUsage bits, the signature algorithm). The certificate may come from a camera: every length is
 * checked against the element that holds it, and anything not DER is refused.
 */

export class DerError extends Error {
  override readonly name = "DerError";
}

/** One element: its tag byte and where its contents lie in the bytes. */
export interface DerElement {
  tag: number;
  start: number;
  end: number;
}

export const DER_TAG = {
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  sequence: 0x30,
  /** [3] EXPLICIT, constructed: a certificate's extensions. */
  extensions: 0xa3,
} as const;

/** The element that starts at `offset` and must end by `limit`. */
export function derElement(bytes: Uint8Array, offset: number, limit: number): DerElement {
  if (offset + 2 > limit) throw new DerError(`truncated element at byte ${offset}`);
  const tag = bytes[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at byte ${offset}`);
  const first = bytes[offset + 1] ?? 0;
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    // 0x80 is BER's indefinite length; more than 4 bytes of length is no certificate.
    if (count === 0 || count > 4) throw new DerError(`bad length at byte ${offset}`);
    if (start + count > limit) throw new DerError(`truncated length at byte ${offset}`);
    length = 0;
    for (let index = 0; index < count; index++) length = length * 256 + (bytes[start + index] ?? 0);
    start += count;
  }
  if (start + length > limit) throw new DerError(`element at byte ${offset} overruns its parent`);
  return { tag, start, end: start + length };
}

/** The outermost element of `bytes`. */
export function derRoot(bytes: Uint8Array): DerElement {
  return derElement(bytes, 0, bytes.length);
}

/** The elements inside a constructed one, in order. */
export function derChildren(bytes: Uint8Array, parent: DerElement): DerElement[] {
  if ((parent.tag & 0x20) === 0) throw new DerError(`tag ${parent.tag} is not constructed`);
  const children: DerElement[] = [];
  for (let offset = parent.start; offset < parent.end;) {
    const child = derElement(bytes, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** The child at `index`, which must carry `tag`. */
export function derChild(
  bytes: Uint8Array,
  parent: DerElement,
  index: number,
  tag: number,
): DerElement {
  const child = derChildren(bytes, parent)[index];
  if (child?.tag !== tag) throw new DerError(`expected tag ${tag} at position ${index}`);
  return child;
}

/** An OBJECT IDENTIFIER in dotted form. */
export function derOid(bytes: Uint8Array, element: DerElement): string {
  if (element.tag !== DER_TAG.oid || element.end === element.start)
    throw new DerError("not an object identifier");
  const arcs: number[] = [];
  let value = 0;
  for (let offset = element.start; offset < element.end; offset++) {
    const byte = bytes[offset] ?? 0;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128)
      throw new DerError("object identifier arc too large");
    if (byte & 0x80) continue;
    if (arcs.length === 0) {
      // The first byte's value packs the first two arcs: 40 × first + second.
      const first = Math.min(2, Math.floor(value / 40));
      arcs.push(first, value - 40 * first);
    } else arcs.push(value);
    value = 0;
  }
  if ((bytes[element.end - 1] ?? 0) & 0x80) throw new DerError("truncated object identifier");
  return arcs.join(".");
}
