import { z } from "zod";

/** Where a box or a center meets the broker: MQTT over TLS only. */
export const brokerUrlSchema = z
  .url({
    protocol: /^mqtts$/,
    hostname: z.regexes.hostname,
    error: "expected mqtts://host:port (plain mqtt:// is refused)",
  })
  .describe("mqtts://host:port; plain mqtt:// is refused");
