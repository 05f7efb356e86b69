import { readFileSync } from "node:fs";
import { z } from "zod";
import { CamgateError } from "../errors.js";

const credentialPair = z.tuple([z.string().max(64), z.string().max(64)]);

const vendorsSchema = z.strictObject({
  $comment: z.string().optional(),
  generic: z.strictObject({ defaultCredentials: z.array(credentialPair).min(1).max(3) }),
  vendors: z.array(
    z.strictObject({
      name: z.string().min(1),
      match: z.array(z.string().min(1)).min(1),
      defaultCredentials: z.array(credentialPair).min(1).max(3),
      psirt: z.url().nullable(),
    }),
  ),
  defaultNamedAccounts: z.array(z.string().min(1)),
});

const firmwareRange = z.strictObject({
  from: z.string().optional(),
  through: z.string().optional(),
  before: z.string().optional(),
  buildBefore: z.iso.date().optional(),
});

const advisoriesSchema = z.strictObject({
  $comment: z.string().optional(),
  entries: z.array(
    z.strictObject({
      id: z.string().regex(/^[a-z0-9-]+$/),
      vendor: z.string().min(1),
      models: z.array(z.string().min(1)).min(1),
      firmware: firmwareRange,
      ids: z.array(z.string().regex(/^(CVE-\d{4}-\d{4,}|[A-Z]{2,}[A-Z0-9-]*)$/)).min(1),
      summary: z.string().min(1),
      /** The same in Vietnamese, for the site owner's report. */
      summaryVi: z.string().min(1),
      source: z.string().min(1),
      exploitedInTheWild: z.boolean(),
    }),
  ),
});

export type VendorTable = z.output<typeof vendorsSchema>;
export type Vendor = VendorTable["vendors"][number];
export type Advisory = z.output<typeof advisoriesSchema>["entries"][number];
export type FirmwareRange = z.output<typeof firmwareRange>;

export class AuditDataError extends CamgateError {}

/** What the checks know about vendors: factory passwords, PSIRT pages, vulnerable firmware. */
export interface AuditData {
  vendors: VendorTable;
  advisories: Advisory[];
}

function load<T>(file: URL, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new AuditDataError(`cannot read audit data ${file.pathname}`, { cause: error });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new AuditDataError(`invalid audit data ${file.pathname}: ${issues.join("; ")}`);
  }
  return parsed.data;
}

/** Reads and validates the data files shipped beside this module (or another directory). */
export function loadAuditData(directory = new URL("./data/", import.meta.url)): AuditData {
  return {
    vendors: load(new URL("vendors.json", directory), vendorsSchema),
    advisories: load(new URL("vulnerable-firmware.json", directory), advisoriesSchema).entries,
  };
}

/** The vendor entry whose match names the ONVIF manufacturer, if any. */
export function vendorOf(data: AuditData, manufacturer: string | undefined): Vendor | undefined {
  const name = manufacturer?.trim().toLowerCase();
  if (!name) return undefined;
  return data.vendors.vendors.find((vendor) =>
    vendor.match.some((match) => name === match || name.startsWith(`${match} `)),
  );
}

/** Factory credential pairs to try: the vendor's, or the generic list for an unknown vendor. */
export function defaultCredentialsFor(
  data: AuditData,
  manufacturer: string | undefined,
): [string, string][] {
  return (
    vendorOf(data, manufacturer)?.defaultCredentials ?? data.vendors.generic.defaultCredentials
  ).slice(0, 3);
}

/** Every factory pair of every vendor, and the generic ones. */
export function allDefaultPairs(data: AuditData): [string, string][] {
  return [
    ...data.vendors.generic.defaultCredentials,
    ...data.vendors.vendors.flatMap((vendor) => vendor.defaultCredentials),
  ];
}

/** A password found here is a known default. */
export function allDefaultPasswords(data: AuditData): Set<string> {
  return new Set(allDefaultPairs(data).map(([, password]) => password));
}
