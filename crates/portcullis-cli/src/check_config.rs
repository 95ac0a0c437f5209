//! `portcullis check-config`: the gate's configuration checked before a deploy or `wrangler
//! dev`, the way the Worker will read it.
//!
//! The settings are wrangler.toml's `[vars]` (or `[env.NAME.vars]`: wrangler does not inherit
//! `vars` into an environment) overlaid with `.dev.vars` when it exists, exactly as `wrangler
//! dev` binds them: a TOML string arrives as a string, a table or array as JSON, and every
//! `.dev.vars` value as a string. They go through the same [`portcullis::config::load`] as
//! in the Worker, so a config that passes here is one the Worker accepts.
//!
//! Output never shows key material: the summary counts keys and names kids; errors name a
//! setting or a file line, never a setting's text (a number out of range is shown).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use portcullis::config::{self, names, GateConfig};
use portcullis::schema::{self, SettingKind};
use serde_json::{json, Map, Value};

use crate::url::without_userinfo;
use crate::{dotenv, input, Failure};

/// Arguments of `portcullis check-config`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Reads [vars] from the wrangler config (with --env NAME: [env.NAME.vars] only, as wrangler does)
and overlays the dotenv file wrangler dev would use: --dev-vars, else .dev.vars.NAME (with --env)
or .dev.vars next to the wrangler config, when it exists. Secrets set with `wrangler secret put`
are not visible here; put them in .dev.vars to check them (`make dev` writes one).

OUTPUT: on success a summary on stdout (key count and signing kid, route rules, origin,
audience, issuer, leeway, max ttl; never key material), exit 0, with warnings on stderr (a
secret in the wrangler config, ORIGIN_URL unset). An invalid configuration prints
one line on stderr, `portcullis: <SETTING>: <reason>` or `portcullis: <file> line <n>: <reason>`,
exit 1. An unreadable file or unknown environment exits 2.

--json: one JSON document on stdout whatever the outcome, same exit status: {ok, sources,
settings (the gate's non-secret settings by name; ORIGIN_URL without userinfo), secrets
(PORTCULLIS_KEYS, PORTCULLIS_ORIGIN_KEY: set or not, never a value), other (names only),
config (key count, kids, signing kid, routes, rules (index, match, public, scopes, and an
example {method, path} that reaches the rule), origin, audience, issuer, leeway_s, max_ttl_s,
admin_prefix, cookie, origin_keys, origin_signing_kid; null when invalid), warnings, errors}.

EXAMPLES:
  portcullis check-config
  portcullis check-config --wrangler wrangler.toml --dev-vars .dev.vars
  portcullis check-config --env staging
  portcullis check-config --json | node -e '...'")]
pub struct Args {
    /// The wrangler config file.
    #[arg(long, value_name = "FILE", default_value = "wrangler.toml")]
    wrangler: PathBuf,
    /// The dotenv file of local secrets and overrides; must exist when given.
    #[arg(long = "dev-vars", value_name = "FILE")]
    dev_vars: Option<PathBuf>,
    /// Check this wrangler environment (`[env.NAME]`).
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// Print the checked settings as one JSON document on stdout, for scripts (secrets only
    /// as set or not set).
    #[arg(long)]
    json: bool,
}

/// Runs `portcullis check-config`.
pub fn run(args: Args) -> Result<(), Failure> {
    // The settings (file errors), then the configuration they make (config errors).
    let checked = load_settings(&args).map(|loaded| {
        // Every name given, sorted so the first bad one is the same on every run; the
        // Worker checks the names it is bound to the same way.
        let mut names: Vec<&str> = loaded.settings.keys().map(String::as_str).collect();
        names.sort_unstable();
        let config = config::load_checked(names, |name| loaded.settings.get(name).cloned())
            .map_err(Failure::Config);
        (loaded, config)
    });
    if args.json {
        return print_json(&args, checked);
    }
    let (loaded, config) = checked?;
    let config = config?;
    for warning in warnings(&args, &loaded, &config) {
        eprintln!("portcullis: warning: {warning}");
    }
    input::print(&summary(&config, &loaded.sources.join(" + ")))
}

/// The settings as the Worker would see them, and where they came from.
struct Loaded {
    sources: Vec<String>,
    settings: HashMap<String, Value>,
    /// Secrets found in the wrangler config (usually committed).
    in_wrangler: Vec<&'static str>,
    /// The `[[ratelimits]]` bindings: name, and `simple.limit` / `simple.period` if given.
    ratelimits: Vec<(String, Option<i64>, Option<i64>)>,
}

fn load_settings(args: &Args) -> Result<Loaded, Failure> {
    let (mut settings, ratelimits) = wrangler_vars(&args.wrangler, args.env.as_deref())?;
    let in_wrangler: Vec<&'static str> = secret_names()
        .filter(|name| settings.contains_key(*name))
        .collect();
    let dev_vars = match &args.dev_vars {
        Some(path) => Some(path.clone()),
        None => default_dev_vars(&args.wrangler, args.env.as_deref()),
    };
    let mut sources = vec![args.wrangler.display().to_string()];
    if let Some(path) = &dev_vars {
        for (name, value) in dotenv::read(path)? {
            settings.insert(name, Value::String(value));
        }
        sources.push(path.display().to_string());
    }
    Ok(Loaded {
        sources,
        settings,
        in_wrangler,
        ratelimits,
    })
}

/// Settings whose values are never printed, only whether they are set: the schema's secrets.
fn secret_names() -> impl Iterator<Item = &'static str> {
    schema::SETTINGS
        .iter()
        .filter(|s| s.kind == SettingKind::Secret)
        .map(|s| s.name)
}

/// Whether `name` is a gate setting whose value may be printed (`ORIGIN_URL` without its
/// userinfo): the schema's plain vars.
fn is_plain(name: &str) -> bool {
    schema::setting(name).is_some_and(|s| s.kind == SettingKind::Var)
}

fn warnings(args: &Args, loaded: &Loaded, config: &GateConfig) -> Vec<String> {
    let mut out = Vec::new();
    if config.origin_url.is_none() {
        // Right for a Worker on a route in front of its zone's origin; a loop under wrangler
        // dev or on workers.dev, which the gate stops with 508 but cannot make useful.
        out.push(format!(
            "{url} is not set: the gate forwards each request to its own \
             URL, which is right only for a Worker on a route in front of its zone's origin; \
             elsewhere (wrangler dev, workers.dev) the request comes back to the gate, which \
             answers 508 loop_detected. Set {url} to where authorized requests go",
            url = names::ORIGIN_URL
        ));
    }
    if config
        .edge
        .cloudflare
        .as_ref()
        .is_some_and(|k| k.len() < 32)
    {
        out.push(format!(
            "{} is shorter than 32 bytes: Cloudflare accepts it, but a short HMAC key can be \
             guessed offline from one signed link; use a long random string",
            names::CLOUDFLARE_HMAC_KEY
        ));
    }
    for (setting, key) in [
        (names::AKAMAI_KEY, &config.edge.akamai),
        (names::AKAMAI_TRANSITION_KEY, &config.edge.akamai_transition),
    ] {
        if key.as_ref().is_some_and(|k| k.len() < 32) {
            out.push(format!(
                "{setting} is shorter than 32 bytes (64 hex digits): a short HMAC key can be \
                 guessed offline from one token"
            ));
        }
    }
    let algorithm = config.edge.akamai_algorithm;
    if let Some(weakness) = algorithm.weakness() {
        out.push(format!(
            "{} = {}: {weakness}",
            names::AKAMAI_ALGORITHM,
            algorithm.name()
        ));
    }
    // A rate limit names a binding and repeats its limit and period (for the 429's headers):
    // a missing binding fails every request on that route, a mismatch makes the headers lie.
    let limits = config
        .routes
        .rules()
        .iter()
        .filter_map(|r| r.rate_limit())
        .chain(config.admin_rate_limit.as_ref());
    for limit in limits {
        match loaded.ratelimits.iter().find(|(n, ..)| *n == limit.limiter) {
            None => out.push(format!(
                "rate limit {:?} names no [[ratelimits]] binding in {}; requests it covers \
                 will fail with 500 until one is bound",
                limit.limiter,
                args.wrangler.display()
            )),
            Some((_, l, p))
                if *l != Some(limit.limit as i64) || *p != Some(limit.period_s as i64) =>
            {
                out.push(format!(
                    "rate limit {:?} says {} per {} s, but its [[ratelimits]] binding says \
                     simple = {{ limit = {}, period = {} }}; the RateLimit headers would not \
                     match what is enforced",
                    limit.limiter,
                    limit.limit,
                    limit.period_s,
                    l.map_or("?".into(), |v| v.to_string()),
                    p.map_or("?".into(), |v| v.to_string()),
                ))
            }
            Some(_) => {}
        }
    }
    for name in &loaded.in_wrangler {
        out.push(format!(
            "{name} is in {}, which is usually committed; \
             keep it in a secret (`wrangler secret put {name}`) or in .dev.vars",
            args.wrangler.display()
        ));
    }
    out
}

/// `--json`: the checked settings for scripts, on stdout, whatever the outcome. Secrets
/// appear only as set or not; other names only by name. The exit status is the same as
/// without `--json` (the failure's one line also goes to stderr).
fn print_json(
    args: &Args,
    checked: Result<(Loaded, Result<GateConfig, Failure>), Failure>,
) -> Result<(), Failure> {
    let (loaded, config, failure) = match checked {
        Ok((l, Ok(c))) => (Some(l), Some(c), None),
        Ok((l, Err(f))) => (Some(l), None, Some(f)),
        Err(f) => (None, None, Some(f)),
    };
    let mut settings = Map::new();
    let mut secrets = Map::new();
    let mut other = Vec::new();
    if let Some(l) = &loaded {
        let mut names: Vec<&String> = l.settings.keys().collect();
        names.sort();
        for name in names {
            let value = &l.settings[name];
            if schema::setting(name).is_some_and(|s| s.kind == SettingKind::Secret) {
                continue;
            } else if name == names::ORIGIN_URL {
                let shown = value
                    .as_str()
                    .map_or(Value::Null, |u| without_userinfo(u).into());
                settings.insert(name.clone(), shown);
            } else if is_plain(name) {
                settings.insert(name.clone(), value.clone());
            } else {
                other.push(name.clone());
            }
        }
        for name in secret_names() {
            secrets.insert(name.into(), l.settings.contains_key(name).into());
        }
    }
    let warnings = match (&loaded, &config) {
        (Some(l), Some(c)) => warnings(args, l, c),
        _ => Vec::new(),
    };
    let doc = json!({
        "ok": failure.is_none(),
        "sources": loaded.as_ref().map(|l| l.sources.clone()).unwrap_or_default(),
        "settings": settings,
        "secrets": secrets,
        "other": other,
        "config": config.as_ref().map(config_json),
        "warnings": warnings,
        "errors": failure.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    input::print_json(&doc)?;
    failure.map_or(Ok(()), Err)
}

/// The path the `make dev` banner tries for "no rule matches".
const UNROUTED: &str = "/portcullis-dev-no-such-route";

/// What the Worker will do, for a script: counts, kids and plain values, never key material.
fn config_json(c: &GateConfig) -> Value {
    let keys = c.keyring.keys();
    let rules = c.routes.rules();
    json!({
        "keys": keys.len(),
        "kids": keys.iter().map(|k| k.kid()).collect::<Vec<_>>(),
        "signing_kid": c.keyring.signing_key().and_then(|k| k.kid()),
        "verify_only": c.keyring.signing_key().is_none(),
        "routes": rules.len(),
        // Each rule with a request that reaches it (the `make dev` banner's curl lines).
        "rules": rules.iter().map(|r| {
            let example = c.routes.example_request(r.index());
            json!({
                "index": r.index(),
                "match": r.pattern(),
                "public": r.access().is_public(),
                "scopes": r.access().required_scopes(),
                "example": example.map(|(method, path)| json!({"method": method, "path": path})),
            })
        }).collect::<Vec<_>>(),
        // A path no rule matches (403 no_route), or null when a rule matches everything.
        "unrouted_example": portcullis::routes::normalize_path(UNROUTED)
            .ok()
            .filter(|p| ["GET", "POST"].iter().all(|m| c.routes.find(m, p).is_none()))
            .map(|p| p.as_str().to_owned()),
        "public_routes": rules.iter().filter(|r| r.access().is_public()).count(),
        "origin": c.origin_url.as_deref().map(without_userinfo),
        "audience": c.verify.audience,
        "issuer": c.verify.issuer,
        "leeway_s": c.verify.leeway,
        "max_ttl_s": c.verify.max_ttl.unwrap_or(config::defaults::MAX_TTL_S),
        "admin_prefix": c.admin_prefix,
        "cookie": c.cookie,
        "origin_keys": c.origin_keys.keys().len(),
        "origin_signing_kid": c.origin_key.kid(),
    })
}

/// The dotenv file wrangler dev reads when none is named: next to the wrangler config,
/// `.dev.vars.NAME` before `.dev.vars` for an environment. `None` when neither exists.
fn default_dev_vars(wrangler: &Path, env: Option<&str>) -> Option<PathBuf> {
    let dir = wrangler.parent().unwrap_or(Path::new(""));
    let plain = dir.join(".dev.vars");
    let for_env = env.map(|e| dir.join(format!(".dev.vars.{e}")));
    for_env.into_iter().chain([plain]).find(|p| p.is_file())
}

/// The `[vars]` (or `[env.NAME.vars]`) table, as the JSON values the Worker sees.
/// The `vars` of the wrangler config (or of its environment), and its `[[ratelimits]]`.
type WranglerSettings = (
    HashMap<String, Value>,
    Vec<(String, Option<i64>, Option<i64>)>,
);

fn wrangler_vars(path: &Path, env: Option<&str>) -> Result<WranglerSettings, Failure> {
    let text = dotenv::read_text(path)?;
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // toml's message quotes the offending source line, which may hold a value.
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
        Failure::ConfigFile {
            path: path.to_owned(),
            line,
            reason: "is not valid TOML".into(),
        }
    })?;
    let table = match env {
        None => &doc,
        Some(name) => doc
            .get("env")
            .and_then(|e| e.get(name))
            .and_then(toml::Value::as_table)
            .ok_or_else(|| Failure::Usage(format!("{} has no [env.{name}]", path.display())))?,
    };
    // Bindings are not inherited by environments either.
    let ratelimits = table
        .get("ratelimits")
        .and_then(toml::Value::as_array)
        .map(|all| {
            all.iter()
                .filter_map(|r| {
                    let simple = r.get("simple");
                    let number = |k| {
                        simple
                            .and_then(|s| s.get(k))
                            .and_then(toml::Value::as_integer)
                    };
                    Some((
                        r.get("name")?.as_str()?.to_owned(),
                        number("limit"),
                        number("period"),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let vars = match table.get("vars") {
        None => return Ok((HashMap::new(), ratelimits)),
        Some(toml::Value::Table(vars)) => vars,
        Some(_) => {
            return Err(Failure::ConfigFile {
                path: path.to_owned(),
                line: None,
                reason: "`vars` must be a table".into(),
            })
        }
    };
    Ok((
        vars.iter().map(|(k, v)| (k.clone(), to_json(v))).collect(),
        ratelimits,
    ))
}

/// A TOML value as wrangler hands it to the Worker: JSON, dates as their text.
fn to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// What the Worker will do, for a human; counts and names only, never key material.
fn summary(c: &GateConfig, sources: &str) -> String {
    let keys = c.keyring.keys();
    let signer = match c.keyring.signing_key() {
        Some(k) => match k.kid() {
            Some(kid) => format!("{kid:?} ({}) signs", k.alg()),
            // Key revocation addresses kids: this key can only be retired by rotation.
            None => format!(
                "the key without kid ({}) signs; without a kid it cannot be revoked by \
                 `portcullis revoke --kid`, only rotated out",
                k.alg()
            ),
        },
        None => "none signs (verify-only)".into(),
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let public = c
        .routes
        .rules()
        .iter()
        .filter(|r| r.access().is_public())
        .count();
    let origin = match &c.origin_url {
        Some(url) => without_userinfo(url),
        None => format!("each request's own URL ({} not set)", names::ORIGIN_URL),
    };
    let or_any = |v: &Option<String>, name: &str| match v {
        Some(v) => v.clone(),
        None => format!("any ({name} not set)"),
    };
    let max_ttl = c.verify.max_ttl.unwrap_or(config::defaults::MAX_TTL_S);
    let mut lines = vec![
        format!("portcullis: configuration ok ({sources})"),
        format!(
            "  keys:      {}; {signer}",
            plural(keys.len(), "key", "keys")
        ),
        format!(
            "  routes:    {}, {public} public",
            plural(c.routes.rules().len(), "rule", "rules")
        ),
        format!("  origin:    {origin}"),
        format!(
            "  audience:  {}",
            or_any(&c.verify.audience, names::AUDIENCE)
        ),
        format!("  issuer:    {}", or_any(&c.verify.issuer, names::ISSUER)),
        format!("  leeway:    {} s; max ttl: {max_ttl} s", c.verify.leeway),
        format!("  admin API: {} (scope portcullis:admin)", c.admin_prefix),
        format!(
            "  origin key: {}; {} signs assertions",
            plural(c.origin_keys.keys().len(), "key", "keys"),
            c.origin_key
                .kid()
                .map_or("the key without kid".to_owned(), |kid| format!("{kid:?}"))
        ),
    ];
    if let Some(cookie) = &c.cookie {
        lines.push(format!("  cookie:    {cookie}"));
    }
    lines.join("\n")
}
