//! Akamai EdgeAuth / Auth Token 2.0 tokens.
//!
//! `[ip=…~][st=…~]exp=…~[acl=…~][id=…~][data=…~]hmac=<hex>` (the field delimiter is `~`
//! unless configured). The key is hex; the MAC input is the token's fields before `hmac`,
//! then `url=<path>` in URL mode (not carried in the token) and `salt=<salt>` when configured
//! (never carried), joined by the delimiter; HMAC-SHA256, and also HMAC-SHA1 or HMAC-MD5 when
//! the operator opts in ([`AkamaiAlgorithm`]). ACLs are joined by `!` and take
//! `*` (any run of characters, `/` included) and `?` (one character). Valid iff the MAC
//! matches (the transition key is tried second), `ip`, when present, is the client's
//! address, and `st <= now < exp`.
//!
use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::Sha256;

use crate::routes::{AkamaiMode, AkamaiOptions};

use super::error::SignedUrlError;

/// The token MAC's hash (`PORTCULLIS_AKAMAI_ALGORITHM`). EdgeAuth defines all three; SHA-1
/// and MD5 exist for links minted by generators that cannot be changed yet, and are accepted
/// only when the operator names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AkamaiAlgorithm {
    /// HMAC-SHA256, the default.
    #[default]
    Sha256,
    /// HMAC-SHA1 (opt-in).
    Sha1,
    /// HMAC-MD5 (opt-in).
    Md5,
}

impl AkamaiAlgorithm {
    /// Parses the setting's value as EdgeAuth's generators spell it (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sha256" => Some(Self::Sha256),
            "sha1" => Some(Self::Sha1),
            "md5" => Some(Self::Md5),
            _ => None,
        }
    }

    /// The setting's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha1 => "sha1",
            Self::Md5 => "md5",
        }
    }

    /// The MAC's length in bytes (what tells the algorithms' tokens apart).
    fn tag_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha1 => 20,
            Self::Md5 => 16,
        }
    }

    /// Why an operator should move off this algorithm, if they should: said by
    /// `check-config` and logged once by the gate at configuration load.
    pub fn weakness(self) -> Option<&'static str> {
        match self {
            Self::Sha256 => None,
            Self::Sha1 => Some(
                "HMAC-SHA1 is a legacy algorithm: SHA-1 is broken for collisions (SHAttered, \
                 2017) and being retired by NIST; HMAC keeps it unforged today, with no margin \
                 left. Use it only for links from generators not yet moved to sha256",
            ),
            Self::Md5 => Some(
                "HMAC-MD5 is a legacy algorithm: MD5 has been broken for collisions since 2004 \
                 and RFC 6151 rules HMAC-MD5 out for new protocols. Use it only for links from \
                 generators not yet moved to sha256",
            ),
        }
    }
}

/// The gate's Akamai secrets.
#[derive(Clone, Copy)]
pub struct AkamaiKeys<'a> {
    /// The legacy hash accepted besides SHA-256, if opted in (`Sha256`: SHA-256 only).
    pub algorithm: AkamaiAlgorithm,
    /// The key, hex-decoded.
    pub key: &'a [u8],
    /// A second key accepted during a rotation.
    pub transition: Option<&'a [u8]>,
    /// The salt added to the MAC input, if configured.
    pub salt: Option<&'a str>,
}

/// The fields of a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AkamaiFields {
    /// `ip`: the client address it is for.
    pub ip: Option<String>,
    /// `st`: start time.
    pub start: Option<i64>,
    /// `exp`: expiry.
    pub exp: i64,
    /// `acl`: the patterns, still joined by the ACL delimiter.
    pub acl: Option<String>,
    /// `id`: a session id.
    pub id: Option<String>,
    /// `data`: opaque payload.
    pub data: Option<String>,
}

const FIELDS: [&str; 6] = ["ip", "st", "exp", "acl", "id", "data"];

fn new_mac<M: Mac + KeyInit>(key: &[u8], input: &str) -> M {
    let mut m = <M as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(input.as_bytes());
    m
}

/// Whether `tag` is the MAC of `input` (constant time).
fn mac_matches(algorithm: AkamaiAlgorithm, key: &[u8], input: &str, tag: &[u8]) -> bool {
    match algorithm {
        AkamaiAlgorithm::Sha256 => new_mac::<Hmac<Sha256>>(key, input).verify_slice(tag),
        AkamaiAlgorithm::Sha1 => new_mac::<Hmac<Sha1>>(key, input).verify_slice(tag),
        AkamaiAlgorithm::Md5 => new_mac::<Hmac<Md5>>(key, input).verify_slice(tag),
    }
    .is_ok()
}

/// The MAC of `input`, lowercase hex.
fn mac_hex(algorithm: AkamaiAlgorithm, key: &[u8], input: &str) -> String {
    let tag = match algorithm {
        AkamaiAlgorithm::Sha256 => new_mac::<Hmac<Sha256>>(key, input)
            .finalize()
            .into_bytes()
            .to_vec(),
        AkamaiAlgorithm::Sha1 => new_mac::<Hmac<Sha1>>(key, input)
            .finalize()
            .into_bytes()
            .to_vec(),
        AkamaiAlgorithm::Md5 => new_mac::<Hmac<Md5>>(key, input)
            .finalize()
            .into_bytes()
            .to_vec(),
    };
    tag.iter().map(|b| format!("{b:02x}")).collect()
}

/// The MAC input: the token's fields, `url=` in URL mode, `salt=` when configured.
fn mac_input(fields: &str, d: char, url: Option<&str>, salt: Option<&str>) -> String {
    let mut input = fields.to_owned();
    if let Some(url) = url {
        input.push_str(&format!("{d}url={url}"));
    }
    if let Some(salt) = salt {
        input.push_str(&format!("{d}salt={salt}"));
    }
    input
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Decodes a hex key setting.
pub fn decode_key(hex: &str) -> Option<Vec<u8>> {
    hex_decode(hex.trim()).filter(|k| !k.is_empty())
}

/// Whether `path` matches the ACL `pattern` (`*` any run, `?` one character).
pub fn acl_matches(pattern: &str, path: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), path.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Verifies `token` for a request on `path` (normalized) from `client_ip`.
pub fn verify(
    keys: AkamaiKeys<'_>,
    options: &AkamaiOptions,
    token: &str,
    path: &str,
    client_ip: Option<&str>,
    now: i64,
) -> Result<AkamaiFields, SignedUrlError> {
    let d = options.field_delimiter;
    let malformed = |what| SignedUrlError::Malformed { what };
    let marker = format!("{d}hmac=");
    let (signed, hex) = token
        .rfind(&marker)
        .map(|at| (&token[..at], &token[at + marker.len()..]))
        .ok_or(malformed("no hmac field"))?;
    let mut fields = AkamaiFields::default();
    let mut seen = [false; 6];
    for field in signed.split(d) {
        let (name, value) = field
            .split_once('=')
            .ok_or(malformed("a field without `=`"))?;
        let i = FIELDS
            .iter()
            .position(|f| *f == name)
            .ok_or(malformed("a field the format does not know"))?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(malformed("a field appears twice"));
        }
        let time = || {
            value
                .parse::<i64>()
                .ok()
                .filter(|_| !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                .ok_or(malformed("a time field is not a whole number"))
        };
        match name {
            "ip" => fields.ip = Some(value.to_owned()),
            "st" => fields.start = Some(time()?),
            "exp" => fields.exp = time()?,
            "acl" => fields.acl = Some(value.to_owned()),
            "id" => fields.id = Some(value.to_owned()),
            _ => fields.data = Some(value.to_owned()),
        }
    }
    if !seen[2] {
        return Err(malformed("no exp field"));
    }
    let url = match (options.mode, &fields.acl) {
        (AkamaiMode::Acl, None) => return Err(malformed("no acl field in ACL mode")),
        (AkamaiMode::Url, Some(_)) => return Err(malformed("an acl field in URL mode")),
        (AkamaiMode::Acl, Some(_)) => None,
        (AkamaiMode::Url, None) => Some(path),
    };
    let tag = hex_decode(hex).ok_or(malformed("the hmac is not hex"))?;
    let input = mac_input(signed, d, url, keys.salt);
    // SHA-256 always; the opted-in legacy algorithm too, so its generators can move to
    // SHA-256 without a flag day. The MAC's length says which one a token claims.
    let algorithm = if tag.len() == AkamaiAlgorithm::Sha256.tag_len() {
        AkamaiAlgorithm::Sha256
    } else if tag.len() == keys.algorithm.tag_len() {
        keys.algorithm
    } else {
        return Err(SignedUrlError::Tampered);
    };
    let check = |key: &[u8]| mac_matches(algorithm, key, &input, &tag);
    if !check(keys.key) && !keys.transition.is_some_and(check) {
        return Err(SignedUrlError::Tampered);
    }
    if fields.ip.is_some() && fields.ip.as_deref() != client_ip {
        return Err(SignedUrlError::WrongClient);
    }
    if let Some(start) = fields.start.filter(|&s| now < s) {
        return Err(SignedUrlError::NotYetValid { start, now });
    }
    if now >= fields.exp {
        return Err(SignedUrlError::Expired {
            exp: fields.exp,
            now,
        });
    }
    if let Some(acl) = &fields.acl {
        if !acl
            .split(options.acl_delimiter)
            .any(|pattern| acl_matches(pattern, path))
        {
            return Err(SignedUrlError::WrongPath);
        }
    }
    Ok(fields)
}

/// Signs a token. `url`: the path in URL mode, `None` in ACL mode.
pub fn sign(
    algorithm: AkamaiAlgorithm,
    key: &[u8],
    options: &AkamaiOptions,
    fields: &AkamaiFields,
    url: Option<&str>,
    salt: Option<&str>,
) -> String {
    let d = options.field_delimiter;
    let mut parts = Vec::new();
    if let Some(ip) = &fields.ip {
        parts.push(format!("ip={ip}"));
    }
    if let Some(st) = fields.start {
        parts.push(format!("st={st}"));
    }
    parts.push(format!("exp={}", fields.exp));
    for (name, value) in [
        ("acl", &fields.acl),
        ("id", &fields.id),
        ("data", &fields.data),
    ] {
        if let Some(v) = value {
            parts.push(format!("{name}={v}"));
        }
    }
    let signed = parts.join(&d.to_string());
    let hex = mac_hex(algorithm, key, &mac_input(&signed, d, url, salt));
    format!("{signed}{d}hmac={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_wildcards() {
        for (pattern, path, ok) in [
            ("/*", "/a/b", true),
            ("/videos/*", "/videos/a/b.ts", true),
            ("/videos/*", "/videosx", false),
            ("/v?/a", "/v1/a", true),
            ("/v?/a", "/v12/a", false),
            ("/a", "/a", true),
            ("/a", "/a/", false),
            ("/*.m3u8", "/x/y.m3u8", true),
            ("/*.m3u8", "/x/y.ts", false),
            ("*", "", true),
        ] {
            assert_eq!(acl_matches(pattern, path), ok, "{pattern} {path}");
        }
    }

    #[test]
    fn algorithms_parse_and_only_the_weak_ones_warn() {
        for (text, alg) in [
            ("sha256", AkamaiAlgorithm::Sha256),
            ("SHA1", AkamaiAlgorithm::Sha1),
            (" md5 ", AkamaiAlgorithm::Md5),
        ] {
            assert_eq!(AkamaiAlgorithm::parse(text), Some(alg));
            assert_eq!(AkamaiAlgorithm::parse(alg.name()), Some(alg));
        }
        for bad in ["sha-1", "sha512", "", "md4"] {
            assert_eq!(AkamaiAlgorithm::parse(bad), None, "{bad}");
        }
        assert_eq!(AkamaiAlgorithm::Sha256.weakness(), None);
        assert!(AkamaiAlgorithm::Sha1.weakness().unwrap().contains("SHA-1"));
        assert!(AkamaiAlgorithm::Md5.weakness().unwrap().contains("MD5"));
    }

    #[test]
    fn hex_keys_decode() {
        assert_eq!(decode_key("0aFF"), Some(vec![10, 255]));
        assert_eq!(decode_key("0a F"), None);
        assert_eq!(decode_key(""), None);
        assert_eq!(decode_key("abc"), None);
    }
}
