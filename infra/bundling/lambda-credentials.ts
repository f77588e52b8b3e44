/**
 * Bundled in place of `@aws-sdk/credential-provider-node` (an esbuild alias, see `esbuild.ts`):
 * the AWS SDK's default credential chain for a Lambda function, where the runtime always puts the
 * execution role's credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
 * `AWS_SESSION_TOKEN` and sets no `AWS_PROFILE` — so the SDK's own chain returns them from its
 * first link (`fromEnv`) anyway. Its other links (SSO, ini files, credential processes, web
 * identity, container and instance metadata) never run on Lambda, yet every client's
 * `runtimeConfig` imports the chain statically, so they cost ~130 kB of every bundle (the STS,
 * SSO and sign-in clients among them) and their parse time on every cold start.
 *
 * Only bundles get it: tests and the local stack run the SDK unchanged. The SDK calls the provider
 * before each request's signature; the environment is read each time (Lambda never rotates it
 * within an execution environment, and it costs nothing). Exports what the SDK imports from the
 * real package.
 */
interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export const defaultProvider =
  (_init?: unknown) =>
  async (): Promise<Credentials> => {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
    if (!accessKeyId || !secretAccessKey) {
      throw new Error(
        'No AWS credentials: this bundle reads them from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which the Lambda runtime sets ' +
          "(the SDK's default chain is replaced at bundle time, see infra/bundling/lambda-credentials.ts)",
      );
    }
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  };

export const credentialsWillNeedRefresh = (credentials?: Credentials): boolean => credentials?.expiration !== undefined;

export const credentialsTreatedAsExpired = (credentials?: Credentials): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
