import type { Refusal } from "./recording-run.js";

/** A refusal in Vietnamese, for the technician who reads `camgate status` on site. */
export function refusalVi(refusal: Pick<Refusal, "reason" | "codec">): string {
  const what = refusal.codec ?? "không phải video";
  return (
    `luồng của camera (${what}) không lưu được nếu không chuyển mã ` +
    `(MPEG-TS không có loại luồng cho định dạng này); hãy đặt camera sang H.264 hoặc H.265`
  );
}
