import type { Lang } from "../../i18n/index.js";
import type { Severity } from "../catalogue.js";
import { controlText, type ControlText } from "../catalogue-text.js";
import type { ControlResult, ResultState } from "../types.js";

/** The words the report and the CLI table share, in each language. */

export const STATUS_LABEL: Record<Lang, Record<ResultState, string>> = {
  en: {
    pass: "PASS",
    fail: "FAIL",
    unknown: "NOT VERIFIED",
    manual: "CHECK BY HAND",
    skipped: "SKIPPED",
    not_applicable: "N/A",
    error: "ERROR",
  },
  vi: {
    pass: "ĐẠT",
    fail: "KHÔNG ĐẠT",
    unknown: "CHƯA XÁC ĐỊNH",
    manual: "KIỂM TRA THỦ CÔNG",
    skipped: "BỎ QUA",
    not_applicable: "KHÔNG ÁP DỤNG",
    error: "LỖI",
  },
};

/** What each state means, for the legend. */
export const STATUS_MEANING: Record<Lang, Record<ResultState, string>> = {
  en: {
    pass: "the camera meets this requirement.",
    fail: "the camera does not meet this requirement: fix it (see the list of fixes).",
    unknown:
      "camgate could not tell, for example because the camera did not answer or refused the question. Check again after the fixes, or check it by hand.",
    manual:
      "cannot be tested over the network: someone has to check the vendor's documents or the camera's menus.",
    skipped:
      "not run in this audit: checks that might disturb the camera run only when a technician turns them on.",
    not_applicable:
      "does not apply to this camera (for example, it has no HTTPS) or is not part of the chosen baseline.",
    error:
      "the check itself could not run (a fault on the box, not a verdict on the camera). Run the audit again; if it stays, tell the technician.",
  },
  vi: {
    pass: "camera đáp ứng yêu cầu này.",
    fail: "camera chưa đáp ứng yêu cầu này: cần khắc phục (xem danh sách việc cần làm).",
    unknown:
      "camgate không xác định được, ví dụ vì camera không trả lời hoặc từ chối. Kiểm tra lại sau khi khắc phục, hoặc kiểm tra thủ công.",
    manual:
      "không kiểm tra được qua mạng: cần người xem tài liệu của hãng hoặc menu cài đặt của camera.",
    skipped:
      "không chạy trong lần kiểm tra này: các phép kiểm tra có thể ảnh hưởng đến camera chỉ chạy khi kỹ thuật viên bật.",
    not_applicable:
      "không áp dụng cho camera này (ví dụ camera không có HTTPS) hoặc không thuộc tiêu chuẩn đã chọn.",
    error:
      "bản thân phép kiểm tra không chạy được (lỗi ở thiết bị camgate, không phải kết luận về camera). Chạy lại kiểm tra; nếu vẫn lỗi, báo cho kỹ thuật viên.",
  },
};

export const SEVERITY_LABEL: Record<Lang, Record<Severity, string>> = {
  en: { critical: "critical", high: "high", medium: "medium", low: "low", info: "info" },
  vi: {
    critical: "nghiêm trọng",
    high: "cao",
    medium: "trung bình",
    low: "thấp",
    info: "thông tin",
  },
};

export const FAMILY_TITLE: Record<Lang, Record<string, string>> = {
  en: {
    auth: "Logins and passwords",
    comms: "Encryption",
    services: "Open services and ports",
    firmware: "Firmware",
    vuln: "Known vulnerabilities",
    time: "Time",
    logging: "Logging",
    manual: "Checks by hand",
  },
  vi: {
    auth: "Đăng nhập và mật khẩu",
    comms: "Mã hóa",
    services: "Dịch vụ và cổng đang mở",
    firmware: "Firmware",
    vuln: "Lỗ hổng đã biết",
    time: "Thời gian",
    logging: "Nhật ký",
    manual: "Kiểm tra thủ công",
  },
};

/** Most urgent first. */
export const SEVERITY_ORDER: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

/** The control's text; a control this build does not know reads as the report recorded it. */
export function textOf(control: ControlResult, lang: Lang): ControlText {
  return (
    controlText(control.id, lang) ?? {
      ok: control.title,
      problem: control.title,
      fix: control.remediation ?? "",
    }
  );
}

/** The statement that matches the verdict: the problem when it fails, the requirement otherwise. */
export function statement(control: ControlResult, lang: Lang): string {
  const text = textOf(control, lang);
  return control.status === "fail" ? text.problem : text.ok;
}
