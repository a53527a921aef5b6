import { type AppConfig, ConfigError, loadConfig, resolveSecrets } from '@annot/config';

/**
 * The settings from the environment, secrets fetched, for an entry point (main.ts, and
 * @annot/embedded's dev.ts). A setting that does not parse ends the process with its message
 * alone: a stack trace adds nothing.
 */
export async function loadConfigOrExit(): Promise<AppConfig> {
  try {
    return await resolveSecrets(loadConfig(process.env));
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}
