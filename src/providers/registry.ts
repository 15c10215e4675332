import type { ProviderConfig } from "../config/schema.js";
import type { ProviderAdapter, ProviderContext } from "./adapter.js";
import { InfobipProvider } from "./infobip/infobip.js";
import { PlivoProvider } from "./plivo/plivo.js";
import { SimulatorProvider } from "./simulator/simulator.js";
import { SinchProvider } from "./sinch/sinch.js";
import { TelnyxProvider } from "./telnyx/telnyx.js";
import { TwilioProvider } from "./twilio/twilio.js";
import { VonageProvider } from "./vonage/vonage.js";
import { WhatsAppCloudProvider } from "./whatsapp-cloud/whatsapp-cloud.js";

/** One adapter per configured provider, keyed by name. */
export function createProviders(configs: readonly ProviderConfig[], context: ProviderContext): Map<string, ProviderAdapter> {
  const providers = new Map<string, ProviderAdapter>();
  for (const config of configs) providers.set(config.name, createProvider(config, context));
  return providers;
}

function createProvider(config: ProviderConfig, context: ProviderContext): ProviderAdapter {
  switch (config.type) {
    case "simulator":
      return new SimulatorProvider(config, context.receipts);
    case "twilio":
      return new TwilioProvider(config, context);
    case "vonage":
      return new VonageProvider(config, context);
    case "plivo":
      return new PlivoProvider(config, context);
    case "telnyx":
      return new TelnyxProvider(config, context);
    case "sinch":
      return new SinchProvider(config, context);
    case "infobip":
      return new InfobipProvider(config, context);
    case "whatsapp-cloud":
      return new WhatsAppCloudProvider(config, context);
  }
}
