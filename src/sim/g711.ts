/** G.711 µ-law (PCMU) for a simulated camera's microphone: a quiet 440 Hz tone. */

const BIAS = 0x84;
const CLIP = 32635;

/** One 16-bit linear sample as µ-law (ITU-T G.711). */
export function muLaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(Math.round(sample)), CLIP) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  magnitude >>= exponent + 3;
  return ~(sign | (exponent << 4) | (magnitude & 0x0f)) & 0xff;
}

/** One second of the tone at 8 kHz, as PCMU bytes: sent in slices, over and over. */
export function pcmuTone(rate = 8000, hz = 440): Buffer {
  const bytes = Buffer.alloc(rate);
  for (let i = 0; i < rate; i++) bytes[i] = muLaw(4000 * Math.sin((2 * Math.PI * hz * i) / rate));
  return bytes;
}
