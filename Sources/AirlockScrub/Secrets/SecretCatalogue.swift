/// Every secret rule Airlock knows, most specific first: when two rules find the same span, the earlier wins.
package enum SecretCatalogue {
    package static let rules: [SecretRule] = cloud + vcs + saas + ai + structural + context

    private typealias R = SecretRule
    private static let b64u = ByteClass.base64URL
    private static let alnum = ByteClass.alnum
    private static let lhex = ByteClass.lowerHex
    private static let hex = ByteClass.hex
    private static let b64 = ByteClass.base64

    static let cloud: [SecretRule] = [
        R.token(
            "aws-access-key-id", "AWS access key id (AKIA/ASIA/ABIA/ACCA)", prefixes: ["AKIA", "ASIA", "ABIA", "ACCA"],
            .upperAlnum, 16...16),
        R.keyed(
            "aws-secret-access-key", "AWS secret access key assigned to an AWS variable or field",
            names: [
                "aws_secret_access_key", "aws_secret_key", "secretaccesskey", "aws-secret-access-key",
                "secret access key", "secret_access_key",
            ],
            ByteClass([0x30...0x39, 0x41...0x5A, 0x61...0x7A], "+/"), 40...40),
        R(
            "twilio-auth-token-paired", "Twilio auth token next to its account SID (AC and 32 hex digits)",
            keywords: ["AC"], .twilioPairedSecret),
        R(
            "aws-secret-access-key-paired",
            "AWS secret access key next to its access key id (credentials CSV, `aws configure`, SDK constructors)",
            keywords: ["AKIA", "ASIA"], .awsPairedSecret),
        R.keyed(
            "aws-session-token", "AWS session token assigned to an AWS variable or field",
            names: ["aws_session_token", "sessiontoken", "aws_security_token"], b64, 100...2048),
        R.token(
            "aws-mws-key", "Amazon Marketplace Web Service auth token", prefix: "amzn.mws.",
            ByteClass([0x30...0x39, 0x61...0x66], "-"), 36...36),
        R.token("gcp-api-key", "Google Cloud / Google AI API key", prefix: "AIza", b64u, 35...35),
        R.keyed(
            "gcp-service-account-key-id", "Private key id of a Google service-account JSON key",
            names: ["private_key_id"], lhex, 40...40),
        R.token("gcp-oauth-client-secret", "Google OAuth client secret", prefix: "GOCSPX-", b64u, 28...28),
        R.token("gcp-oauth-access-token", "Google OAuth access token", prefix: "ya29.", b64u, 30...2048),
        R.token("gcp-oauth-refresh-token", "Google OAuth refresh token", prefix: "1//0", b64u, 40...512),
        R.keyed(
            "azure-storage-account-key", "Azure Storage or Cosmos DB account key in a connection string",
            names: ["accountkey="], b64, 86...88),
        R.keyed(
            "azure-shared-access-key", "Azure Service Bus / Event Hubs shared access key",
            names: ["sharedaccesskey="], b64, 43...44),
        R(
            "azure-ad-client-secret", "Azure AD (Entra ID) application client secret", keywords: ["Q~"],
            .azureADClientSecret),
        R(
            "azure-sas-signature", "Azure shared access signature (sig= in a SAS URL or token)", keywords: ["sig="],
            .azureSASSignature),
        R.keyed(
            "azure-devops-pat", "Azure DevOps personal access token assigned to a DevOps variable",
            names: ["azure_devops_pat", "azure_devops_token", "ado_pat", "system_accesstoken", "azure_devops_ext_pat"],
            ByteClass.lowerAlnum, 52...52),
        R.keyed(
            "azure-openai-key", "Azure OpenAI key assigned to an Azure variable",
            names: ["azure_openai_api_key", "azure_openai_key", "azure_api_key"], lhex, 32...32),
        R.token("alibaba-access-key-id", "Alibaba Cloud AccessKey id", prefix: "LTAI", alnum, 12...20),
        R.keyed(
            "alibaba-access-key-secret", "Alibaba Cloud AccessKey secret",
            names: ["access_key_secret", "accesskeysecret", "alibaba_cloud_access_key_secret", "aliyun_secret"],
            alnum, 30...30),
        R.token("tencent-secret-id", "Tencent Cloud SecretId", prefix: "AKID", alnum, 32...36),
        R.token("yandex-api-key", "Yandex Cloud API key", prefix: "AQVN", b64u, 35...38),
        R.token("yandex-iam-token", "Yandex Cloud IAM token", prefix: "t1.9euelZ", b64u, 80...512),
        R.token("digitalocean-pat", "DigitalOcean personal access token", prefix: "dop_v1_", lhex, 64...64),
        R.token("digitalocean-oauth-token", "DigitalOcean OAuth access token", prefix: "doo_v1_", lhex, 64...64),
        R.token("digitalocean-refresh-token", "DigitalOcean OAuth refresh token", prefix: "dor_v1_", lhex, 64...64),
        R.keyed(
            "cloudflare-api-token", "Cloudflare API token assigned to a Cloudflare variable",
            names: ["cloudflare_api_token", "cf_api_token", "cloudflare_token"], b64u, 40...40),
        R.keyed(
            "cloudflare-global-api-key", "Cloudflare global API key assigned to a Cloudflare variable",
            names: ["cloudflare_api_key", "cf_api_key", "cloudflare_global_api_key"], lhex, 37...37),
        R.token(
            "cloudflare-origin-ca-key", "Cloudflare Origin CA key", prefix: "v1.0-", ByteClass.lowerHex.union("-"),
            171...171),
        R.token(
            "fly-io-token", "Fly.io access token", prefixes: ["fo1_", "fm1r_", "fm1a_", "fm2_"], b64u.union("+/="),
            43...1024),
        R.token("heroku-api-key-v2", "Heroku platform API key", prefix: "HRKU-", b64u, 60...60),
        R.keyed(
            "heroku-api-key", "Heroku API key assigned to a Heroku variable",
            names: ["heroku_api_key", "heroku_api_token"], ByteClass.lowerHex.union("-"), 36...36),
        R.token("scalingo-api-token", "Scalingo API token", prefix: "tk-us-", b64u, 48...48),
        R.token("supabase-access-token", "Supabase management access token", prefix: "sbp_", lhex, 40...40),
        R.token("supabase-secret-key", "Supabase secret API key", prefix: "sb_secret_", b64u, 31...64),
        R.token("planetscale-token", "PlanetScale service token", prefix: "pscale_tkn_", b64u.union("=."), 32...64),
        R.token(
            "planetscale-password", "PlanetScale database password", prefix: "pscale_pw_", b64u.union("=."), 32...64),
        R.token(
            "planetscale-oauth-token", "PlanetScale OAuth token", prefix: "pscale_oauth_", b64u.union("=."), 32...64),
        R.token("databricks-token", "Databricks personal access token", prefix: "dapi", lhex, 32...32),
        R.token("tailscale-key", "Tailscale API, auth or client key", prefix: "tskey-", b64u, 20...128),
        R.token("pulumi-access-token", "Pulumi access token", prefix: "pul-", lhex, 40...40),
        R.token("hashicorp-vault-service-token", "HashiCorp Vault service token", prefix: "hvs.", b64u, 90...200),
        R(
            "hashicorp-vault-legacy-token", "HashiCorp Vault service token of the format before Vault 1.10 (s. and 24)",
            keywords: [" s.", "\ns.", "\"s.", "'s.", "=s.", ":s."], .vaultLegacyToken),
        R.token("hashicorp-vault-batch-token", "HashiCorp Vault batch token", prefix: "hvb.", b64u, 90...300),
        R.token("hashicorp-vault-recovery-token", "HashiCorp Vault recovery token", prefix: "hvr.", b64u, 90...200),
        R.token(
            "terraform-cloud-token", "Terraform Cloud / HCP Terraform API token", prefix: ".atlasv1.", b64u.union("="),
            60...70),
        R.token("doppler-personal-token", "Doppler personal token", prefix: "dp.pt.", alnum, 43...43),
        R.token(
            "doppler-service-token", "Doppler service token", prefix: "dp.st.", ByteClass.alnum.union("._-"), 40...100),
        R.token("doppler-cli-token", "Doppler CLI token", prefix: "dp.ct.", alnum, 43...43),
        R.token("doppler-service-account-token", "Doppler service account token", prefix: "dp.sa.", alnum, 43...43),
        R.token("doppler-scim-token", "Doppler SCIM token", prefix: "dp.scim.", alnum, 43...43),
        R.token("doppler-audit-token", "Doppler audit token", prefix: "dp.audit.", alnum, 43...43),
        R.token(
            "dynatrace-api-token", "Dynatrace API token", prefix: "dt0c01.", ByteClass.upperAlnum.union("."), 89...89),
        R.token(
            "aws-bedrock-api-key", "Amazon Bedrock long-term API key", prefix: "ABSK", ByteClass.base64, 109...272),
        R.token(
            "aws-bedrock-short-term-key", "Amazon Bedrock short-term API key",
            prefix: "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t", ByteClass.base64.union("%&"), 20...4096),
        R.token(
            "clickhouse-cloud-secret-key", "ClickHouse Cloud API secret key", prefix: "4b1d", alnum, 38...38),
        R.token("okta-api-token", "Okta API token (SSWS)", prefix: "SSWS 00", b64u, 40...40),
        R.token("openshift-user-token", "OpenShift user or service account token", prefix: "sha256~", b64u, 43...43),
        R.token("jfrog-api-key", "JFrog Artifactory API key", prefix: "AKCp", alnum, 69...69),
        R.token("jfrog-reference-token", "JFrog reference token", prefix: "cmVmdGtuOjAxOj", alnum, 50...50),
    ]

    static let vcs: [SecretRule] = [
        R.token("github-pat", "GitHub personal access token (classic)", prefix: "ghp_", alnum, 36...36),
        R.token("github-oauth-token", "GitHub OAuth access token", prefix: "gho_", alnum, 36...36),
        R.token("github-user-to-server-token", "GitHub App user-to-server token", prefix: "ghu_", alnum, 36...36),
        R.token("github-server-to-server-token", "GitHub App installation token", prefix: "ghs_", alnum, 36...36),
        R.token("github-refresh-token", "GitHub refresh token", prefix: "ghr_", alnum, 36...76),
        R.token(
            "github-fine-grained-pat", "GitHub fine-grained personal access token", prefix: "github_pat_",
            ByteClass.word, 82...82),
        R.token("gitlab-pat", "GitLab personal access token", prefix: "glpat-", b64u.union("."), 20...64),
        R.token("gitlab-deploy-token", "GitLab deploy token", prefix: "gldt-", b64u, 20...64),
        R.token("gitlab-runner-token", "GitLab runner authentication token", prefix: "glrt-", b64u.union("."), 20...64),
        R.token(
            "gitlab-runner-registration-token", "GitLab runner registration token", prefix: "GR1348941", b64u, 20...20),
        R.token("gitlab-pipeline-trigger-token", "GitLab pipeline trigger token", prefix: "glptt-", lhex, 40...40),
        R.token("gitlab-ci-job-token", "GitLab CI/CD job token", prefix: "glcbt-", b64u, 20...64),
        R.token("gitlab-feed-token", "GitLab feed token", prefix: "glft-", b64u, 20...20),
        R.token("gitlab-incoming-mail-token", "GitLab incoming mail token", prefix: "glimt-", b64u, 25...25),
        R.token("gitlab-oauth-secret", "GitLab OAuth application secret", prefix: "gloas-", b64u, 64...64),
        R.token("gitlab-scim-token", "GitLab SCIM token", prefix: "glsoat-", b64u, 20...20),
        R.token("gitlab-feature-flag-token", "GitLab feature flag client token", prefix: "glffct-", b64u, 20...20),
        R.token("gitlab-agent-token", "GitLab agent for Kubernetes token", prefix: "glagent-", b64u, 50...50),
        R.token("bitbucket-app-password", "Bitbucket app password", prefix: "ATBB", alnum, 32...60),
        R.token("npm-access-token", "npm access token", prefix: "npm_", alnum, 36...36),
        R.keyed(
            "npmrc-auth-token", "npm registry _authToken in .npmrc", names: ["_authtoken="],
            ByteClass.base64URL.union("+/=."), 20...200),
        R.token("pypi-upload-token", "PyPI upload token", prefix: "pypi-AgEIcHlwaS5vcmc", b64u, 50...400),
        R.token(
            "pypi-test-upload-token", "TestPyPI upload token", prefix: "pypi-AgENdGVzdC5weXBpLm9yZw", b64u, 50...400),
        R.token("rubygems-api-key", "RubyGems API key", prefix: "rubygems_", lhex, 48...48),
        R.token("nuget-api-key", "NuGet API key", prefix: "oy2", ByteClass.lowerAlnum, 43...43),
        R.token("clojars-token", "Clojars deploy token", prefix: "CLOJARS_", ByteClass.lowerAlnum, 60...60),
        R.token("dockerhub-pat", "Docker Hub personal access token", prefix: "dckr_pat_", b64u, 27...27),
        R.token("dockerhub-org-token", "Docker Hub organisation access token", prefix: "dckr_oat_", b64u, 32...32),
        R.token("sonarqube-token", "SonarQube / SonarCloud token", prefixes: ["squ_", "sqp_", "sqa_"], lhex, 40...40),
        R.token("buildkite-token", "Buildkite user access token", prefix: "bkua_", lhex, 40...40),
        R.token("circleci-pat", "CircleCI personal API token", prefix: "CCIPAT_", ByteClass.word, 60...64),
        R(
            "sourcegraph-token", "Sourcegraph access token (sgp_, an optional instance id or local_, 40 hex digits)",
            keywords: ["sgp_"], .sourcegraphToken),
        R.keyed(
            "sourcegraph-legacy-token", "Sourcegraph access token (40 hex digits) assigned to a Sourcegraph name",
            names: ["sourcegraph"], hex, 40...40),
        R.token("postman-api-key", "Postman API key", prefix: "PMAK-", ByteClass.lowerHex.union("-"), 59...59),
        R.token("prefect-api-key", "Prefect API key", prefix: "pnu_", alnum, 36...36),
        R.token("readme-api-key", "ReadMe API key", prefix: "rdme_", ByteClass.lowerAlnum, 70...70),
        R.token("octopus-deploy-api-key", "Octopus Deploy API key", prefix: "API-", ByteClass.upperAlnum, 26...26),
        R.token(
            "harness-pat", "Harness personal access token", prefix: "pat.", ByteClass.base64URL.union("."), 68...68),
        R.token("infracost-api-key", "Infracost API key", prefix: "ico-", alnum, 32...32),
    ]

    static let saas: [SecretRule] = [
        R("slack-bot-token", "Slack bot token", keywords: ["xoxb-"], .slackBotToken),
        R.token("slack-user-token", "Slack user token", prefix: "xoxp-", ByteClass.alnum.union("-"), 60...100),
        R.token(
            "slack-workspace-token", "Slack workspace access token", prefix: "xoxa-", ByteClass.alnum.union("-"),
            30...100),
        R.token("slack-refresh-token", "Slack refresh token", prefix: "xoxr-", ByteClass.alnum.union("-"), 30...100),
        R.token(
            "slack-legacy-token", "Slack legacy workspace token", prefixes: ["xoxs-", "xoxo-"],
            ByteClass.alnum.union("-"), 30...100),
        R.token(
            "slack-config-token", "Slack app configuration access token", prefix: "xoxe.xoxp-",
            ByteClass.alnum.union("-"), 150...180),
        R.token(
            "slack-config-refresh-token", "Slack app configuration refresh token", prefix: "xoxe-",
            ByteClass.alnum.union("-"), 140...160),
        R.token("slack-app-token", "Slack app-level token", prefix: "xapp-", ByteClass.alnum.union("-"), 40...120),
        R(
            "slack-webhook-url", "Slack incoming webhook URL", keywords: ["hooks.slack.com/services/"],
            .urlPath(body: ByteClass.alnum.union("/"), minLength: 40)),
        R(
            "slack-workflow-webhook-url", "Slack workflow webhook URL",
            keywords: ["hooks.slack.com/workflows/", "hooks.slack.com/triggers/"],
            .urlPath(body: ByteClass.alnum.union("/"), minLength: 30)),
        R(
            "discord-webhook-url", "Discord webhook URL",
            keywords: ["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"],
            .urlPath(body: ByteClass.base64URL.union("/"), minLength: 80)),
        R(
            "teams-webhook-url", "Microsoft Teams incoming webhook URL", keywords: ["webhook.office.com/webhookb2/"],
            .urlPath(body: ByteClass.base64URL.union("/@"), minLength: 80)),
        R(
            "zapier-webhook-url", "Zapier catch hook URL", keywords: ["hooks.zapier.com/hooks/catch/"],
            .urlPath(body: ByteClass.alnum.union("/"), minLength: 12)),
        R.token("stripe-live-secret-key", "Stripe live secret key", prefix: "sk_live_", alnum, 24...247),
        R.token("stripe-test-secret-key", "Stripe test secret key", prefix: "sk_test_", alnum, 24...247),
        R.token("stripe-live-restricted-key", "Stripe live restricted key", prefix: "rk_live_", alnum, 24...247),
        R.token("stripe-test-restricted-key", "Stripe test restricted key", prefix: "rk_test_", alnum, 24...247),
        R.token("stripe-webhook-secret", "Stripe webhook signing secret", prefix: "whsec_", alnum, 32...64),
        R.token(
            "twilio-api-key", "Twilio API key SID with its secret nearby", prefix: "SK", hex, 32...32, entropy: 3.0),
        R.keyed(
            "twilio-auth-token", "Twilio auth token assigned to a Twilio variable",
            names: ["twilio_auth_token", "twilio_token", "twilio_api_secret"], lhex, 32...32),
        R.token("sendgrid-api-key", "SendGrid API key", prefix: "SG.", ByteClass.base64URL.union(".="), 66...66),
        R.token(
            "fcm-server-key", "Firebase Cloud Messaging legacy server key (AAAA…:APA91b…)", prefix: ":APA91b",
            b64u, 134...140),
        R.token(
            "brevo-api-key", "Brevo (Sendinblue) API key", prefix: "xkeysib-", ByteClass.lowerAlnum.union("-"), 81...81),
        R.token("mailgun-api-key", "Mailgun API key", prefix: "key-", lhex, 32...32),
        R.token("mailgun-public-key", "Mailgun public validation key", prefix: "pubkey-", lhex, 32...32),
        R.keyed(
            "mailgun-private-key", "Mailgun private API key assigned to a Mailgun variable",
            names: ["mailgun_api_key", "mailgun_private_key", "mailgun_key"], ByteClass.lowerHex.union("-"), 50...50),
        R("mailchimp-api-key", "Mailchimp API key", keywords: ["-us"], .mailchimpKey),
        R.token("shopify-access-token", "Shopify Admin API access token", prefix: "shpat_", ByteClass.hex, 32...32),
        R.token(
            "shopify-custom-app-token", "Shopify custom app access token", prefix: "shpca_", ByteClass.hex, 32...32),
        R.token("shopify-private-app-token", "Shopify private app password", prefix: "shppa_", ByteClass.hex, 32...32),
        R.token("shopify-shared-secret", "Shopify app shared secret", prefix: "shpss_", ByteClass.hex, 32...32),
        R.token(
            "atlassian-api-token", "Atlassian (Jira, Confluence) API token", prefix: "ATATT3",
            ByteClass.base64URL.union("="), 180...200),
        R.keyed(
            "atlassian-legacy-api-token", "Atlassian API token assigned to a Jira or Confluence variable",
            names: ["jira_api_token", "confluence_api_token", "atlassian_api_token", "jira_token"], alnum, 24...24),
        R.token("linear-api-key", "Linear personal API key", prefix: "lin_api_", alnum, 40...40),
        R.token(
            "onepassword-secret-key", "1Password account secret key (A3-…)", prefix: "A3-",
            ByteClass.upperAlnum.union("-"), 36...37),
        R.token(
            "gitlab-session-cookie", "GitLab session cookie", prefix: "_gitlab_session=", ByteClass.lowerAlnum,
            32...32),
        R.token(
            "grafana-api-key", "Grafana API key (legacy, base64 of JSON)", prefix: "eyJrIjoi", alnum.union("="),
            70...400),
        R.token(
            "intra42-client-secret", "42 intranet (Intra) client secret", prefixes: ["s-s4t2ud-", "s-s4t2af-"], hex,
            64...64),
        R.token("lob-public-key", "Lob publishable API key", prefixes: ["test_pub_", "live_pub_"], lhex, 31...31),
        R.token(
            "plaid-access-token", "Plaid access token (access-sandbox-, -development- or -production- and a UUID)",
            prefixes: ["access-sandbox-", "access-development-", "access-production-"], lhex.union("-"), 36...36),
        R.keyed(
            "sidekiq-credentials", "Sidekiq Enterprise or Pro gem server credentials (user:password of hex)",
            names: ["bundle_enterprise__contribsys__com", "bundle_gems__contribsys__com"],
            ByteClass.lowerHex.union(":"), 17...17),
        R.token("linear-oauth-token", "Linear OAuth access token", prefix: "lin_oauth_", lhex, 64...64),
        R.token("notion-integration-token", "Notion integration token", prefix: "ntn_", alnum, 46...46),
        R.token(
            "notion-legacy-secret", "Notion internal integration secret (legacy)", prefix: "secret_", alnum, 43...43),
        R.keyed(
            "datadog-api-key", "Datadog API key assigned to a Datadog variable",
            names: ["dd_api_key", "datadog_api_key", "dd-api-key", "datadog-api-key"], lhex, 32...32),
        R.keyed(
            "datadog-app-key", "Datadog application key assigned to a Datadog variable",
            names: [
                "dd_app_key", "datadog_app_key", "dd_application_key", "dd-application-key", "datadog_application_key",
            ],
            lhex, 40...40),
        R.token("new-relic-user-key", "New Relic user API key", prefix: "NRAK-", ByteClass.upperAlnum, 27...27),
        R.token("new-relic-admin-key", "New Relic admin API key", prefix: "NRAA-", lhex, 27...27),
        R.token("new-relic-insights-insert-key", "New Relic Insights insert key", prefix: "NRII-", b64u, 32...32),
        R.token("new-relic-insights-query-key", "New Relic Insights query key", prefix: "NRIQ-", b64u, 32...32),
        R.token("new-relic-browser-key", "New Relic browser API key", prefix: "NRJS-", lhex, 19...19),
        R("new-relic-license-key", "New Relic ingest licence key", keywords: ["NRAL"], .newRelicLicenseKey),
        R.token(
            "grafana-cloud-token", "Grafana Cloud API token", prefix: "glc_", ByteClass.base64URL.union("+/="), 32...400
        ),
        R.token(
            "grafana-service-account-token", "Grafana service account token", prefix: "glsa_", ByteClass.word, 41...41),
        R.token(
            "sentry-org-token", "Sentry organisation auth token", prefix: "sntrys_", ByteClass.base64URL.union("+/="),
            60...400),
        R.token("sentry-user-token", "Sentry user auth token", prefix: "sntryu_", lhex, 64...64),
        R.token("hugging-face-token", "Hugging Face access token", prefix: "hf_", ByteClass.letters, 34...34),
        R.token(
            "hugging-face-org-token", "Hugging Face organisation API token", prefix: "api_org_", ByteClass.letters,
            34...34),
        R("telegram-bot-token", "Telegram bot API token", keywords: [":AA"], .telegramBotToken),
        R(
            "telegram-bot-token-named", "Telegram bot API token (bot id:A…) after a Telegram name",
            keywords: ["telegr"], .telegramNamedToken),
        R.token("square-access-token", "Square access token", prefix: "EAAA", b64u, 22...60),
        R.token("square-legacy-access-token", "Square legacy access token", prefix: "sq0atp-", b64u, 22...22),
        R.token("square-oauth-secret", "Square OAuth application secret", prefix: "sq0csp-", b64u, 43...43),
        R.token(
            "facebook-access-token", "Facebook (Meta) user access token", prefix: "EAACEdEose0cBA", alnum, 20...400),
        R(
            "facebook-app-access-token",
            "Facebook (Meta) app access token: an app id and its secret joined by a vertical bar",
            keywords: ["facebook", "access_token"], .facebookAppToken),
        R.token(
            "facebook-page-access-token", "Facebook (Meta) page or app access token (EAAM…, EAAC…)",
            prefixes: ["EAAM", "EAAC"], alnum, 100...1024),
        R.token(
            "twitter-bearer-token", "Twitter (X) app-only bearer token", prefix: "AAAAAAAAAAAAAAAAAAAAAA",
            alnum.union("%"), 80...100),
        R.keyed(
            "sumologic-access-id", "Sumo Logic access id assigned to a Sumo Logic name",
            names: ["sumologic", "sumo_"], alnum, 14...14),
        R.keyed(
            "sumologic-access-key", "Sumo Logic access key assigned to a Sumo Logic name",
            names: ["sumologic", "sumo_"], alnum, 64...64),
        R.token("airtable-pat", "Airtable personal access token", prefix: "pat", ByteClass.alnum.union("."), 79...79),
        R.token("contentful-pat", "Contentful personal access token", prefix: "CFPAT-", b64u, 43...43),
        R.token("shippo-live-token", "Shippo live API token", prefix: "shippo_live_", hex, 40...40),
        R.token("shippo-test-token", "Shippo test API token", prefix: "shippo_test_", hex, 40...40),
        R.token("duffel-live-token", "Duffel live API token", prefix: "duffel_live_", b64u.union("="), 43...43),
        R.token("duffel-test-token", "Duffel test API token", prefix: "duffel_test_", b64u.union("="), 43...43),
        R.token("easypost-api-key", "EasyPost production API key", prefix: "EZAK", alnum, 54...54),
        R.token("easypost-test-api-key", "EasyPost test API key", prefix: "EZTK", alnum, 54...54),
        R.token(
            "flutterwave-secret-key", "Flutterwave secret key", prefixes: ["FLWSECK-", "FLWSECK_TEST-"],
            ByteClass.lowerHex.union("-X"), 34...34),
        R.token(
            "flutterwave-encryption-key", "Flutterwave encryption key", prefix: "FLWSECK_TEST-", ByteClass.lowerHex,
            12...12),
        R.token("frameio-api-token", "Frame.io API token", prefix: "fio-u-", b64u.union("="), 64...64),
        R.token(
            "typeform-pat", "Typeform personal access token", prefix: "tfp_", ByteClass.base64URL.union("."), 59...59),
        R.token("adobe-client-secret", "Adobe client secret", prefix: "p8e-", ByteClass.alnum, 32...32),
        R.token(
            "mapbox-secret-token", "Mapbox secret access token", prefix: "sk.eyJ", ByteClass.base64URL.union("."),
            80...300),
        R.token(
            "settlemint-token", "SettleMint access token", prefixes: ["sm_pat_", "sm_aat_", "sm_sat_"], alnum, 16...16),
        R.token(
            "onepassword-service-account-token", "1Password service account token", prefix: "ops_eyJ", b64u.union("="),
            250...1200),
        R.token(
            "dnkey-api-key", "Defined Networking API key", prefix: "dnkey-", ByteClass.base64URL.union("="), 79...79),
        R("maxmind-license-key", "MaxMind license key (…_mmk)", keywords: ["_mmk"], .maxMindLicenseKey),
        R(
            "dropbox-token",
            "Dropbox app secret or access token (short-lived sl., long-lived) assigned to a Dropbox name",
            keywords: ["dropbox"], .dropboxToken),
    ]

    static let ai: [SecretRule] = [
        R.token("openai-project-key", "OpenAI project API key", prefix: "sk-proj-", b64u, 40...256),
        R.token("openai-service-account-key", "OpenAI service account key", prefix: "sk-svcacct-", b64u, 40...256),
        R.token("openai-admin-key", "OpenAI admin API key", prefix: "sk-admin-", b64u, 40...256),
        R(
            "openai-api-key", "OpenAI user API key (legacy sk- format with the T3BlbkFJ marker)",
            keywords: ["T3BlbkFJ"], .openAILegacyKey),
        R.token("anthropic-api-key", "Anthropic API key", prefix: "sk-ant-api", b64u, 80...200),
        R.token("anthropic-admin-key", "Anthropic admin API key", prefix: "sk-ant-admin", b64u, 80...200),
        R.token(
            "anthropic-oauth-token", "Anthropic OAuth token", prefixes: ["sk-ant-oat", "sk-ant-ort"], b64u, 80...200),
        R.token("groq-api-key", "Groq API key", prefix: "gsk_", alnum, 52...52),
        R.token("perplexity-api-key", "Perplexity API key", prefix: "pplx-", alnum, 48...56),
        R.token("xai-api-key", "xAI API key", prefix: "xai-", alnum, 80...80),
        R.token("replicate-api-token", "Replicate API token", prefix: "r8_", alnum, 37...37),
        R.token("openrouter-api-key", "OpenRouter API key", prefix: "sk-or-v1-", lhex, 64...64),
        R.token(
            "langsmith-api-key", "LangSmith API key", prefixes: ["lsv2_pt_", "lsv2_sk_"], ByteClass.lowerHex.union("_"),
            43...43),
        R.token("pinecone-api-key", "Pinecone API key", prefix: "pcsk_", ByteClass.base64URL, 60...100),
        R.token("elevenlabs-api-key", "ElevenLabs API key", prefix: "sk_", lhex, 48...48),
        R.token("deepseek-api-key", "DeepSeek API key", prefix: "sk-", lhex, 32...32, entropy: 3.0),
        R.keyed(
            "cohere-api-key", "Cohere API key assigned to a Cohere variable", names: ["cohere_api_key", "co_api_key"],
            alnum, 40...40),
        R.keyed(
            "mistral-api-key", "Mistral API key assigned to a Mistral variable", names: ["mistral_api_key"], alnum,
            32...32),
        R.keyed(
            "together-api-key", "Together AI API key assigned to a Together variable",
            names: ["together_api_key"], lhex, 64...64),
    ]

    static let structural: [SecretRule] = [
        R(
            "private-key-pkcs8", "PKCS #8 private key block", keywords: ["-----BEGIN PRIVATE KEY-----"],
            .armoredBlock(end: "-----END PRIVATE KEY-----")),
        R(
            "private-key-encrypted", "Encrypted PKCS #8 private key block",
            keywords: ["-----BEGIN ENCRYPTED PRIVATE KEY-----"],
            .armoredBlock(end: "-----END ENCRYPTED PRIVATE KEY-----")),
        R(
            "private-key-rsa", "RSA private key block", keywords: ["-----BEGIN RSA PRIVATE KEY-----"],
            .armoredBlock(end: "-----END RSA PRIVATE KEY-----")),
        R(
            "private-key-ec", "EC private key block", keywords: ["-----BEGIN EC PRIVATE KEY-----"],
            .armoredBlock(end: "-----END EC PRIVATE KEY-----")),
        R(
            "private-key-dsa", "DSA private key block", keywords: ["-----BEGIN DSA PRIVATE KEY-----"],
            .armoredBlock(end: "-----END DSA PRIVATE KEY-----")),
        R(
            "private-key-openssh", "OpenSSH private key block", keywords: ["-----BEGIN OPENSSH PRIVATE KEY-----"],
            .armoredBlock(end: "-----END OPENSSH PRIVATE KEY-----")),
        R(
            "private-key-pgp", "PGP private key block", keywords: ["-----BEGIN PGP PRIVATE KEY BLOCK-----"],
            .armoredBlock(end: "-----END PGP PRIVATE KEY BLOCK-----")),
        R("private-key-putty", "PuTTY private key file", keywords: ["PuTTY-User-Key-File-"], .puttyKey),
        R(
            "private-key-base64", "Base64-encoded PEM private key (kubeconfig client-key-data, a Secret's tls.key)",
            keywords: ["LS0tLS1CRUdJTiB"], .base64PrivateKey),
        R.token("age-secret-key", "age encryption secret key", prefix: "AGE-SECRET-KEY-1", .bech32Upper, 58...58),
        R("jwt", "JSON Web Token", keywords: ["eyJ"], .jwt),
        R("jwt-base64", "JSON Web Token encoded as base64 as a whole (ZXlK…)", keywords: ["ZXlK"], .base64JWT),
        R(
            "postgres-connection-string", "PostgreSQL URI with a password", keywords: ["postgres://", "postgresql://"],
            .uriCredentials),
        R(
            "mysql-connection-string", "MySQL / MariaDB URI with a password",
            keywords: ["mysql://", "mariadb://", "mysql+pymysql://", "mysql2://"], .uriCredentials),
        R(
            "mongodb-connection-string", "MongoDB URI with a password", keywords: ["mongodb://", "mongodb+srv://"],
            .uriCredentials),
        R(
            "redis-connection-string", "Redis URI with a password", keywords: ["redis://", "rediss://"], .uriCredentials
        ),
        R(
            "amqp-connection-string", "AMQP (RabbitMQ) broker URI with a password", keywords: ["amqp://", "amqps://"],
            .uriCredentials),
        R(
            "mqtt-connection-string", "MQTT broker URI with a password", keywords: ["mqtt://", "mqtts://"],
            .uriCredentials),
        R("nats-connection-string", "NATS URI with a password", keywords: ["nats://", "tls://"], .uriCredentials),
        R(
            "mssql-connection-string", "SQL Server URI with a password", keywords: ["sqlserver://", "mssql://"],
            .uriCredentials),
        R(
            "clickhouse-connection-string", "ClickHouse URI with a password", keywords: ["clickhouse://"],
            .uriCredentials),
        R("ldap-connection-string", "LDAP URI with a password", keywords: ["ldap://", "ldaps://"], .uriCredentials),
        R("smtp-connection-string", "SMTP URI with a password", keywords: ["smtp://", "smtps://"], .uriCredentials),
        R(
            "ftp-connection-string", "FTP / SFTP URI with a password", keywords: ["ftp://", "sftp://", "ftps://"],
            .uriCredentials),
        R(
            "ado-connection-string", "ADO.NET / ODBC connection string password", keywords: [";password=", ";pwd="],
            .adoConnectionPassword),
        R(
            "jdbc-oracle-thin-password", "Password in an Oracle thin JDBC URL (jdbc:oracle:thin:user/password@host)",
            keywords: ["jdbc:oracle:thin:"], .oracleThinPassword),
        R(
            "connection-call-password", "Password argument of DriverManager.getConnection(url, user, password)",
            keywords: ["getConnection("], .connectionCallPassword),
        R(
            "nuget-config-password",
            "Password in a NuGet.Config or .NET setting (<add key=\"ClearTextPassword\" value=…)",
            keywords: ["key=\"ClearTextPassword\"", "key=\"Password\""], .xmlSettingPassword),
        R(
            "redis-requirepass", "Redis requirepass or masterauth directive", keywords: ["requirepass", "masterauth"],
            .directive),
        R.keyed(
            "npmrc-auth", "npm registry _auth or _password (base64) in .npmrc", names: ["_auth=", "_password="],
            b64, 8...1024),
        R(
            "url-credentials", "Credentials in any URL (scheme://user:password@host)", keywords: ["://"],
            .uriCredentials),
        R(
            "authorization-basic", "HTTP Basic credentials in an Authorization header",
            keywords: ["authorization: basic ", "authorization:basic "], .basicAuth),
        R("authorization-bearer", "Bearer token (Authorization: Bearer …)", keywords: ["bearer "], .bearer),
        R(
            "authorization-header",
            "Credentials in an Authorization header with another scheme or none (Token, ApiKey)",
            keywords: ["authorization:", "authorization\":", "authorization':"], .authorizationHeader),
        R(
            "cookie-header", "Session-like values in a Cookie or Set-Cookie header, or curl's -b",
            keywords: ["cookie:", "cookie\":", "cookie':", " -b '", " -b \"", "--cookie '", "--cookie \""],
            .cookieHeader),
        R(
            "docker-registry-auth", "Registry credentials in a Docker or Podman config (base64 user:password auth)",
            keywords: ["\"auth\":"], .registryAuth),
        R("netrc-password", ".netrc password (machine … login … password …)", keywords: ["machine "], .netrcPassword),
        R(
            "command-line-password",
            "Password option of curl, wget, HTTPie, mysql, sshpass, Redis or a registry login (-u user:password, -p…)",
            keywords: [
                "curl ", "wget ", "http ", "https ", "xh ", "mysql ", "mysqldump ", "mysqladmin ", "mariadb ",
                "sshpass ", "docker ", "podman ", "nerdctl ", "buildah ", "redis-server ", "redis-cli ",
            ], .commandLinePassword),
        R(
            "kubernetes-secret-data", "Values of a Kubernetes Secret (base64 data:, plain stringData:)",
            keywords: [
                "kind: secret", "kind: \"secret", "kind: 'secret", "kind:secret", "\"kind\": \"secret\"",
                "\"kind\":\"secret\"",
            ], .kubernetesSecret),
        R(
            "docker-config-encoded",
            "Base64 registry credentials after .dockerconfigjson: or .dockercfg: (auth inside)",
            keywords: [".dockerconfigjson", ".dockercfg"], .encodedDockerConfig),
    ]

    static let context: [SecretRule] = [
        R(
            "password-assignment", "A password assigned in code, configuration, JSON or .env form",
            keywords: ["password", "passwd", "pwd", "passphrase"], .assignment(minLength: 6)),
        R(
            "secret-assignment", "A secret assigned in code, configuration, JSON or .env form",
            keywords: ["secret"], .assignment(minLength: 8)),
        R(
            "token-assignment", "A token assigned in code, configuration, JSON or .env form",
            keywords: ["token"], .assignment(minLength: 8)),
        R(
            "api-key-assignment", "An API or access key assigned in code, configuration, JSON or .env form",
            keywords: [
                "api_key", "apikey", "api-key", "access_key", "accesskey", "auth_key", "private_key", "signing_key",
                "encryption_key", "app_key",
            ],
            .assignment(minLength: 8)),
        R(
            "credential-assignment", "Credentials assigned in code, configuration, JSON or .env form",
            keywords: ["credential", "credentials", "creds", "publish-profile", "publish_profile"],
            .assignment(minLength: 8)),
        R(
            "key-value", "A machine-made value after the word key (key: …, \"key\": \"…\", the key …)",
            keywords: ["key"], .bareKey),
        R(
            "service-credential",
            "A machine-made value assigned to a name holding a service's name (ALGOLIA_KEY=…, $etsyToken .= \"…\")",
            keywords: ServiceNames.all, .serviceAssignment),
    ]
}

extension ByteClass {
    func union(_ extra: String) -> ByteClass {
        var copy = self
        copy.formUnion(ByteClass([], extra))
        return copy
    }
}

extension SecretCatalogue {
    /// The catalogue as a Markdown table, for docs/secret-rules.md (a test keeps the two identical).
    package static func markdownTable() -> String {
        var out = "| Rule id | What it finds |\n|---|---|\n"
        for rule in rules { out += "| `\(rule.id)` | \(rule.description) |\n" }
        return out
    }
}
