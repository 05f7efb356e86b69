export { type Answers, AnswersError, answersSchema, loadAnswers } from "./answers.js";
export { LinePrompter, MissingAnswerError, type Prompter, ScriptedPrompter } from "./prompter.js";
export {
  PROVISION_STEPS,
  provision,
  type ProvisionOptions,
  provisionPaths,
  type ProvisionStep,
} from "./provision.js";
export { ProvisionStepError } from "./steps.js";
