export { HealthSampler, type SystemHealth } from "./health-sampler.js";
