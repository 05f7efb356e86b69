/**
 * The wire contract between a box and its commune center, the one place both sides take it
 * from: topics, payload schemas and content types, video chunk headers, canonical JSON and the
 * signature formats. docs/asyncapi.yaml documents it; nothing here may import the agent.
 */
export { brokerUrlSchema } from "./broker-url.js";
export { CanonicalJsonError, canonicalJson } from "./canonical-json.js";
export {
  type CertificateIssued,
  type CertificateRequest,
  certificateIssuedSchema,
  certificateRequestSchema,
  MAX_CERTIFICATE_MESSAGE_BYTES,
  parseCertificateSite,
} from "./certificates.js";
export { CONTENT_TYPE, encodePayload, LIVE_CONTENT_TYPE, VIDEO_CONTENT_TYPE } from "./payloads.js";
export { SNAPSHOT_CONTENT_TYPE } from "./payloads.js";
export {
  commandSigningInput,
  type EmbeddedSignature,
  keyIdOf,
  signCommand,
  signEmbedded,
  signPayload,
  verifyCommand,
  verifyEmbedded,
  verifyPayload,
} from "./signatures.js";
export {
  CENTER_PAYLOAD_SCHEMAS,
  INVALID_REPLY_LEVEL,
  PAYLOAD_SCHEMAS,
  type ParsedMediaTopic,
  type ParsedTopic,
  parseMediaTopic,
  parseTopic,
  SiteTopics,
  TOPIC_PREFIX,
  TopicError,
  type TopicFamily,
} from "./topics.js";
export {
  type ChunkHeader,
  chunkCount,
  chunkProperties,
  MAX_CHUNK_BYTES,
  MAX_CHUNKS,
  parseChunkHeader,
} from "./video-chunks.js";
export {
  compareVersions,
  MAX_RELEASE_BYTES,
  parseUpdateChunkHeader,
  type ReleaseManifest,
  releaseManifestSchema,
  type SignedManifest,
  signedManifestSchema,
  signManifest,
  type UpdateChunkHeader,
  updateChunkProperties,
  type UpdateRequest,
  updateRequestSchema,
  verifyManifest,
  VERSION_RE,
} from "./update-manifest.js";
