export { CredentialVault } from "./credentials.js";
export { DiscoveryService, type DiscoveryRound } from "./discovery-service.js";
export { OnvifCallError, type OnvifErrorKind } from "./errors.js";
export { type DeviceReport, interrogate, type ProfileReport } from "./interrogate.js";
export { cameraIdFor, Inventory, type InventoryChange } from "./inventory.js";
export type { Credentials } from "./soap-client.js";
export { type SurveyResult, surveyDevice } from "./survey.js";
export { type DiscoveredDevice, discover, expandCidr } from "./ws-discovery.js";
