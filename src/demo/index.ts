export { Demo, DEMO_SITE, type DemoLayout, type DemoOptions, demoLayout } from "./demo.js";
export { DemoView } from "./demo-view.js";
export { enrolCameras } from "./enrol.js";
export {
  BrokerStartError,
  DEPLOYMENT_ACL,
  freePort,
  MosquittoBroker,
  type MosquittoOptions,
  mosquittoConfig,
} from "./mosquitto-broker.js";
