export { AuditRunner, adHocCameraKey } from "./audit-runner.js";
export { AuditRateLimitedError, AuditService } from "./audit-service.js";
export {
  AuditSettingsError,
  auditCamera,
  ONVIF_ONLY_CONTROLS,
  settingsFromConfig,
  validateOptIns,
} from "./auditor.js";
export { BASELINE_TITLES, CONTROLS, type ControlDefinition, controlById } from "./catalogue.js";
export type { AuditSettings, AuditTarget } from "./context.js";
export { type HtmlReportOptions, renderHtml } from "./report/render-html.js";
export { renderTable, type TableOptions } from "./report/render-table.js";
export {
  diffReports,
  hasBlockingFailure,
  signReport,
  summarize,
  verifyReport,
} from "./report/summary.js";
export type { AuditReport, ControlResult, Evidence, ResultState } from "./types.js";
export { type AuditData, loadAuditData } from "./vendor-data.js";
