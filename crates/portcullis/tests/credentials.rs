//! Properties of the `pcrt_`/`pcak_` credential format: every encoding parses back to its
//! bytes, and every single-character change (a typo) or random string is refused without
//! any storage read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use portcullis::grant::credential::{attribute, encode, parse, CredentialKind, DETECTORS};
use portcullis::grant::secrets::{ApiKey, ApiKeyId, GrantId, RefreshToken};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/credentials.txt",
        ))),
        ..ProptestConfig::default()
    }
}

fn kind() -> impl Strategy<Value = CredentialKind> {
    prop_oneof![
        Just(CredentialKind::RefreshToken),
        Just(CredentialKind::ApiKey)
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_encoding_parses_back(kind in kind(), seed in prop::collection::vec(any::<u8>(), 40)) {
        let body = &seed[..kind.body_bytes()];
        let text = encode(kind, body).unwrap();
        prop_assert_eq!(text.len(), kind.text_len());
        prop_assert!(text.starts_with(kind.prefix()));
        prop_assert!(text[5..].bytes().all(|c| c.is_ascii_alphanumeric()));
        prop_assert_eq!(parse(kind, &text).unwrap(), body.to_vec());
        prop_assert_eq!(attribute(&text), Some(kind));
    }

    #[test]
    fn any_one_character_typo_is_refused(
        kind in kind(),
        seed in prop::collection::vec(any::<u8>(), 40),
        at in 0usize..1000,
        with in 0usize..62,
    ) {
        let text = encode(kind, &seed[..kind.body_bytes()]).unwrap();
        let mut bytes = text.clone().into_bytes();
        let at = at % bytes.len();
        let replacement = if at < 5 { b'x' } else { ALPHABET[with] };
        prop_assume!(bytes[at] != replacement);
        bytes[at] = replacement;
        let typo = String::from_utf8(bytes).unwrap();
        prop_assert!(parse(kind, &typo).is_err());
        prop_assert_eq!(attribute(&typo), None);
    }

    #[test]
    fn swapping_two_adjacent_characters_is_refused(
        kind in kind(),
        seed in prop::collection::vec(any::<u8>(), 40),
        at in 5usize..1000,
    ) {
        let text = encode(kind, &seed[..kind.body_bytes()]).unwrap();
        let mut bytes = text.into_bytes();
        let at = 5 + at % (bytes.len() - 6);
        prop_assume!(bytes[at] != bytes[at + 1]);
        bytes.swap(at, at + 1);
        prop_assert!(parse(kind, &String::from_utf8(bytes).unwrap()).is_err());
    }

    #[test]
    fn random_strings_of_the_right_shape_are_not_ours(
        kind in kind(),
        digits in prop::collection::vec(0usize..62, 60),
    ) {
        let body: String = digits[..kind.text_len() - 5].iter().map(|&d| ALPHABET[d] as char).collect();
        let candidate = format!("{}{body}", kind.prefix());
        // A random string passes the 32-bit checksum with probability 2^-32: never, here.
        prop_assert!(parse(kind, &candidate).is_err());
    }

    #[test]
    fn refresh_tokens_and_keys_round_trip(grant in any::<[u8; 16]>(), generation in any::<u32>(), secret in any::<[u8; 20]>(), id in any::<[u8; 12]>()) {
        let t = RefreshToken { grant: GrantId(grant), generation, secret };
        prop_assert_eq!(RefreshToken::parse(&t.encode()).unwrap(), t.clone());
        prop_assert!(ApiKey::parse(&t.encode()).is_err());
        let k = ApiKey { id: ApiKeyId(id), secret };
        prop_assert_eq!(ApiKey::parse(&k.encode()).unwrap(), k);
    }

    #[test]
    fn parse_never_panics(text in ".{0,80}") {
        for kind in [CredentialKind::RefreshToken, CredentialKind::ApiKey] {
            let _ = parse(kind, &text);
            let _ = parse(kind, &format!("{}{text}", kind.prefix()));
        }
    }
}

#[test]
fn detectors_cover_both_kinds() {
    let names: Vec<_> = DETECTORS.iter().map(|d| d.name).collect();
    assert_eq!(names, ["portcullis_refresh_token", "portcullis_api_key"]);
}
