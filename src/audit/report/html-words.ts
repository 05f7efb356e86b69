import type { Lang } from "../../i18n/index.js";
import type { CameraVerdict } from "./report-model.js";

/** The HTML report's own sentences, in each language. */
export interface HtmlWords {
  title: string;
  site: string;
  location: string;
  box: string;
  signedBy: string;
  unsigned: string;
  auditedAt: string;
  printedAt: string;
  baseline: string;
  caveatTitle: string;
  headline: (urgent: number, fix: number, total: number) => string;
  summaryTitle: string;
  camera: string;
  failing: string;
  unverified: string;
  passed: string;
  verdict: string;
  verdicts: Record<CameraVerdict, string>;
  fixesTitle: string;
  fixesIntro: string;
  noFixes: string;
  onCameras: string;
  recheckTitle: string;
  recheckIntro: string;
  manualTitle: string;
  manualIntro: string;
  legendTitle: string;
  severityMeaning: string;
  howToFix: string;
  evidence: string;
  references: string;
  decision724: string;
  model: string;
  firmware: string;
  unknownModel: string;
  passedFolded: (n: number) => string;
  showHint: string;
  otherStates: string;
  nothingToFix: string;
  redacted: string;
}

export const HTML_WORDS: Record<Lang, HtmlWords> = {
  en: {
    title: "Camera security audit",
    site: "Site",
    location: "Location",
    box: "Box",
    signedBy: "signed with box key",
    unsigned: "not signed",
    auditedAt: "Audited",
    printedAt: "Report made",
    baseline: "Baseline",
    caveatTitle: "Note on the baseline",
    headline: (urgent, fix, total) =>
      urgent + fix === 0
        ? `None of the ${total} cameras has a failing check.`
        : `${urgent} of ${total} cameras need urgent fixes (a critical or high problem)` +
          (fix > 0 ? `, ${fix} more need smaller fixes.` : "."),
    summaryTitle: "Site summary",
    camera: "Camera",
    failing: "Failing checks by severity",
    unverified: "Not verified",
    passed: "Passed",
    verdict: "Conclusion",
    verdicts: {
      urgent: "Fix urgently",
      fix: "Needs fixes",
      unverified: "Check again",
      ok: "OK",
    },
    fixesTitle: "What to fix, most urgent first",
    fixesIntro:
      "Each problem is listed once with every camera that has it. Do them in this order; then run the audit again.",
    noFixes: "No check failed on any camera.",
    onCameras: "Cameras",
    recheckTitle: "Could not be verified: check again",
    recheckIntro:
      "camgate could not tell whether these requirements are met. After the fixes above, run the audit again; if a line stays here, check it by hand.",
    manualTitle: "To check by hand (for every camera)",
    manualIntro:
      "These cannot be tested over the network. Collect the vendor's documents or look in the camera's menus, and keep the answer with the site's records.",
    legendTitle: "How to read this report",
    severityMeaning:
      "Severity says how much harm the problem can do: critical and high problems let someone else watch the video or take over the camera; fix them first.",
    howToFix: "How to fix",
    evidence: "Technical evidence",
    references: "References",
    decision724: "Decision 724",
    model: "Model",
    firmware: "firmware",
    unknownModel: "model not reported",
    passedFolded: (n) => (n === 1 ? "1 check passed" : `${n} checks passed`),
    showHint: "click to show",
    otherStates: "Checked by hand, skipped or not applicable",
    nothingToFix: "Nothing failed and nothing was left unverified on this camera.",
    redacted: "hidden",
  },
  vi: {
    title: "Báo cáo kiểm tra an ninh camera",
    site: "Điểm kết nối",
    location: "Vị trí",
    box: "Thiết bị camgate",
    signedBy: "ký bằng khóa của thiết bị",
    unsigned: "chưa ký",
    auditedAt: "Thời gian kiểm tra",
    printedAt: "Lập báo cáo",
    baseline: "Tiêu chuẩn áp dụng",
    caveatTitle: "Lưu ý về tiêu chuẩn",
    headline: (urgent, fix, total) =>
      urgent + fix === 0
        ? `Không camera nào trong ${total} camera có mục không đạt.`
        : `${urgent} trong ${total} camera cần khắc phục gấp (có lỗi mức nghiêm trọng hoặc cao)` +
          (fix > 0 ? `, ${fix} camera khác cần khắc phục lỗi nhỏ hơn.` : "."),
    summaryTitle: "Tổng hợp toàn điểm",
    camera: "Camera",
    failing: "Số mục không đạt theo mức độ",
    unverified: "Chưa xác định",
    passed: "Đạt",
    verdict: "Kết luận",
    verdicts: {
      urgent: "Khắc phục gấp",
      fix: "Cần khắc phục",
      unverified: "Kiểm tra lại",
      ok: "Đạt",
    },
    fixesTitle: "Việc cần làm, gấp nhất trước",
    fixesIntro:
      "Mỗi lỗi chỉ ghi một lần, kèm tất cả camera mắc lỗi đó. Làm theo thứ tự này, sau đó chạy kiểm tra lại.",
    noFixes: "Không camera nào có mục không đạt.",
    onCameras: "Camera",
    recheckTitle: "Chưa xác định được: cần kiểm tra lại",
    recheckIntro:
      "camgate chưa xác định được các yêu cầu này có được đáp ứng hay không. Sau khi khắc phục các lỗi trên, hãy chạy kiểm tra lại; mục nào vẫn còn ở đây thì kiểm tra thủ công.",
    manualTitle: "Cần kiểm tra thủ công (cho mọi camera)",
    manualIntro:
      "Các mục này không kiểm tra được qua mạng. Hãy thu thập tài liệu của hãng hoặc xem trong menu cài đặt của camera, rồi lưu kết quả vào hồ sơ của điểm kết nối.",
    legendTitle: "Cách đọc báo cáo",
    severityMeaning:
      "Mức độ cho biết lỗi có thể gây hại đến đâu: lỗi nghiêm trọng và cao cho phép người khác xem video hoặc chiếm quyền điều khiển camera; cần khắc phục trước.",
    howToFix: "Cách khắc phục",
    evidence: "Bằng chứng kỹ thuật (tiếng Anh)",
    references: "Căn cứ",
    decision724: "QĐ 724",
    model: "Kiểu máy",
    firmware: "firmware",
    unknownModel: "không rõ kiểu máy",
    passedFolded: (n) => `${n} mục đạt`,
    showHint: "bấm để xem",
    otherStates: "Kiểm tra thủ công, bỏ qua hoặc không áp dụng",
    nothingToFix: "Camera này không có mục nào không đạt hoặc chưa xác định.",
    redacted: "đã ẩn",
  },
};

/** The baseline caveat, once per report. */
export const INTERPRETATION: Record<Lang, string> = {
  en:
    "The mapping of controls to QCVN 135:2024/BTTTT, QCVN 11:2026/BCA and Decision 724 groups is " +
    "camgate's interpretation of the published requirement groups; the full regulation texts were " +
    "not available. G1..G11 are the project's labels, not official clause numbers.",
  vi:
    "Việc đối chiếu các mục kiểm tra với các nhóm yêu cầu của QCVN 135:2024/BTTTT, QCVN 11:2026/BCA " +
    "và Quyết định 724 là cách hiểu của camgate dựa trên các nhóm yêu cầu đã công bố; chưa có toàn " +
    "văn các quy chuẩn. G1..G11 là nhãn do dự án đặt, không phải số điều khoản chính thức.",
};
