//! `portcullis keys`: rotation helpers over a JWK Set file.
//!
//! Rotation is three steps: `keygen --keys` adds the new key verify-only; once every verifier
//! has the set, `keys promote` moves `"sign"` to it; once the longest token lifetime has
//! passed, `keys retire` removes the old key.

use std::path::PathBuf;

use serde_json::Value;

use crate::keyfile::{self, KeySetFile};
use crate::keygen::parse_kid;
use crate::Failure;

/// Arguments of `portcullis keys`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
ROTATION:
  1. portcullis keygen --keys keys.json --kid new     # new key, verify-only
  2. deploy keys.json to every verifier
  3. portcullis keys promote --keys keys.json new     # new key signs; old key still verifies
  4. wait for the longest token lifetime (max ttl) to pass
  5. portcullis keys retire --keys keys.json old      # old tokens no longer verify

EXAMPLES:
  portcullis keys promote --keys keys.json 2026-02
  portcullis keys retire --keys keys.json 2026-01")]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Make KID the signing key: moves "sign" in `key_ops` from the current signer to KID.
    #[command(after_help = "\
Both keys stay in the set, so tokens signed by the previous signer keep verifying. The file is
validated and rewritten atomically; every other member is preserved.

EXAMPLES:
  portcullis keys promote --keys keys.json 2026-02")]
    Promote(Target),
    /// Remove KID, a key that does not sign; refuses to remove the signing key.
    #[command(after_help = "\
Tokens signed with the retired key stop verifying as soon as verifiers load the new set, so
retire a key only after the longest token lifetime has passed since it stopped signing. The
file is validated and rewritten atomically; every other member is preserved.

EXAMPLES:
  portcullis keys retire --keys keys.json 2026-01")]
    Retire(Target),
}

#[derive(Debug, clap::Args)]
struct Target {
    /// The JWK Set file to edit.
    #[arg(long, value_name = "FILE")]
    keys: PathBuf,
    /// The key's id.
    #[arg(value_name = "KID", value_parser = parse_kid)]
    kid: String,
}

/// Runs `portcullis keys ...`.
pub fn run(args: Args) -> Result<(), Failure> {
    match args.command {
        KeysCommand::Promote(t) => promote(t),
        KeysCommand::Retire(t) => retire(t),
    }
}

fn promote(Target { keys, kid }: Target) -> Result<(), Failure> {
    let mut set = KeySetFile::open_existing(&keys)?;
    if set.ring()?.get(&kid).is_none() {
        return Err(set.refuse(format!("there is no key with kid {kid:?}")));
    }
    let before = keyfile::signer(set.ring()?);
    if before == Some(Some(kid.clone())) {
        eprintln!(
            "portcullis: key {kid:?} already signs; {} is unchanged",
            keys.display()
        );
        return Ok(());
    }
    for jwk in set.keys_mut() {
        if keyfile::kid_of(jwk) == Some(kid.as_str()) {
            let mut ops: Vec<String> = match keyfile::key_ops_mut(jwk) {
                Some(ops) => ops
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                None => Vec::new(),
            };
            for op in ["verify", "sign"] {
                if !ops.iter().any(|o| o == op) {
                    ops.insert(0, op.to_owned());
                }
            }
            let ops: Vec<&str> = ops.iter().map(String::as_str).collect();
            keyfile::set_key_ops(jwk, &ops);
        } else if let Some(ops) = keyfile::key_ops_mut(jwk) {
            ops.retain(|op| op.as_str() != Some("sign"));
        }
    }
    set.save(&Some(Some(kid.clone())))?;
    eprintln!(
        "portcullis: key {kid:?} now signs new tokens (before: {}); tokens from the previous signer still verify",
        keyfile::describe(&before)
    );
    Ok(())
}

fn retire(Target { keys, kid }: Target) -> Result<(), Failure> {
    let mut set = KeySetFile::open_existing(&keys)?;
    let Some(key) = set.ring()?.get(&kid) else {
        return Err(set.refuse(format!("there is no key with kid {kid:?}")));
    };
    if key.signs() {
        return Err(set.refuse(format!(
            "key {kid:?} is the signing key; promote another key first (portcullis keys promote --keys {} OTHER_KID)",
            keys.display()
        )));
    }
    if set.ring()?.keys().len() == 1 {
        return Err(set.refuse(format!("key {kid:?} is the only key in the set")));
    }
    let signer = keyfile::signer(set.ring()?);
    let all = set.keys_mut();
    all.retain(|jwk| keyfile::kid_of(jwk) != Some(kid.as_str()));
    if all.len() == 1 && signer.is_none() && all[0].get("key_ops").is_none() {
        // Alone without key_ops, the last key would start signing; keep it verify-only.
        keyfile::set_key_ops(&mut all[0], &["verify"]);
    }
    set.save(&signer)?;
    eprintln!(
        "portcullis: retired key {kid:?} from {}; tokens signed with it no longer verify",
        keys.display()
    );
    Ok(())
}
