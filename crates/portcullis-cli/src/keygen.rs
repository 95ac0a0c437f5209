//! `portcullis keygen`: a new HMAC key, printed as a JWK or added to a JWK Set file.

use std::path::PathBuf;

use portcullis::jwt::keyring::{Alg, Key};
use serde_json::Value;

use crate::keyfile::{self, KeySetFile};
use crate::{input, Failure};

/// Arguments of `portcullis keygen`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The key is 32, 48 or 64 random bytes (the hash's output length) from the operating system.

Adding to a key set never changes which key signs: the first key of a new set signs; every
later key is added verify-only (`\"key_ops\": [\"verify\"]`), so it can be distributed to every
verifier before `portcullis keys promote` makes it the signer. Adding a second key to a
one-key set without `key_ops` marks the existing key `[\"sign\", \"verify\"]` explicitly.

EXAMPLES:
  # Print a new key (JWK) with a random kid
  portcullis keygen

  # Create keys.json (mode 0600) holding one HS512 key that signs
  portcullis keygen --keys keys.json --kid 2026-01 --alg HS512

  # Add a verify-only key for a rotation
  portcullis keygen --keys keys.json --kid 2026-02")]
pub struct Args {
    /// Key id; default: 8 random hex digits. Must be unique within the set.
    #[arg(long, value_name = "KID", value_parser = parse_kid)]
    kid: Option<String>,
    /// HMAC algorithm the key is for.
    #[arg(long, value_enum, default_value_t = AlgArg::HS256)]
    alg: AlgArg,
    /// Add the key to this JWK Set file (created with mode 0600 if absent) instead of
    /// printing it.
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
}

/// The algorithms, as clap values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
#[allow(clippy::upper_case_acronyms)]
enum AlgArg {
    #[value(name = "HS256")]
    HS256,
    #[value(name = "HS384")]
    HS384,
    #[value(name = "HS512")]
    HS512,
}

impl From<AlgArg> for Alg {
    fn from(a: AlgArg) -> Alg {
        match a {
            AlgArg::HS256 => Alg::HS256,
            AlgArg::HS384 => Alg::HS384,
            AlgArg::HS512 => Alg::HS512,
        }
    }
}

/// Longest kid a token header may carry and still select a key (see `portcullis::jwt::token`).
const MAX_KID_LEN: usize = 256;

/// A kid must be something a token header can carry and a human can read.
pub fn parse_kid(kid: &str) -> Result<String, String> {
    if kid.is_empty() {
        return Err("a kid cannot be empty".into());
    }
    if kid.len() > MAX_KID_LEN {
        return Err(format!("a kid is at most {MAX_KID_LEN} bytes"));
    }
    if kid.chars().any(char::is_control) {
        return Err("a kid cannot contain control characters".into());
    }
    Ok(kid.to_owned())
}

fn random_kid() -> Result<String, Failure> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(|_| Failure::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Runs `portcullis keygen`.
pub fn run(args: Args) -> Result<(), Failure> {
    let alg = Alg::from(args.alg);
    let kid = match args.kid {
        Some(kid) => kid,
        None => random_kid()?,
    };
    let key = Key::generate(Some(kid.clone()), alg).map_err(|_| Failure::Random)?;
    let jwk = key.to_jwk();
    let Some(path) = args.keys else {
        return input::print_json(&jwk);
    };

    let Some(mut set) = KeySetFile::open(&path)? else {
        let set = KeySetFile::new(&path, vec![jwk]);
        set.save(&Some(Some(kid.clone())))?;
        eprintln!(
            "portcullis: created {} with key {kid:?} ({alg}); it signs new tokens",
            path.display()
        );
        return Ok(());
    };

    if set.ring()?.get(&kid).is_some() {
        return Err(set.refuse(format!("a key with kid {kid:?} already exists")));
    }
    let signer = keyfile::signer(set.ring()?);
    let implicit_signer = set.ring()?.keys().len() == 1 && signer.is_some();
    let keys = set.keys_mut();
    if implicit_signer && keys[0].get("key_ops").is_none() {
        // The only key signs because it is alone; say so before it has company.
        keyfile::set_key_ops(&mut keys[0], &["sign", "verify"]);
    }
    let mut jwk: Value = jwk;
    keyfile::set_key_ops(&mut jwk, &["verify"]);
    keys.push(jwk);
    let shown = set.path().display().to_string();
    set.save(&signer)?;

    eprintln!("portcullis: added key {kid:?} ({alg}) to {shown}, verify-only: it does not sign");
    match signer {
        Some(_) => eprintln!(
            "portcullis: {} still signs; once every verifier has the new key, run: portcullis keys promote --keys {shown} {kid}",
            keyfile::describe(&signer)
        ),
        None => eprintln!(
            "portcullis: no key in this set signs; to sign with the new key, run: portcullis keys promote --keys {shown} {kid}"
        ),
    }
    Ok(())
}
