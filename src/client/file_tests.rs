//! Unit tests of `client::file`: config-dir lookup, server URL normalisation, and the 0600
//! `credentials.toml` store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn url(s: &str) -> ServerUrl {
    ServerUrl::parse(s).unwrap()
}

fn entry(token: &str) -> Entry {
    Entry {
        token: token.into(),
        token_id: "t1".into(),
        email: "a@example.com".into(),
        name: "laptop".into(),
        expires_at: None,
        saved_at: Utc::now(),
    }
}

#[test]
fn server_urls_are_normalised_to_one_spelling() {
    assert_eq!(url("http://Example.COM:80/").as_str(), "http://example.com");
    assert_eq!(
        url(" https://gw.example.com:443 ").as_str(),
        "https://gw.example.com"
    );
    assert_eq!(
        url("http://127.0.0.1:8080").as_str(),
        "http://127.0.0.1:8080"
    );
    assert_eq!(url("https://h/prefix/").as_str(), "https://h/prefix");
    assert_eq!(url("http://[::1]:9000/").as_str(), "http://[::1]:9000");
}

#[test]
fn server_urls_without_scheme_or_with_credentials_are_refused_by_name() {
    let cases = [
        ("gw.example.com", "expected http://"),
        ("ftp://gw.example.com", "must be http or https"),
        ("http://user:pw@gw.example.com", "no user name or password"),
        ("http://gw.example.com/?x=1", "no query string"),
        ("http://", "invalid"),
    ];
    for (input, want) in cases {
        let err = ServerUrl::parse(input).unwrap_err();
        assert!(err.contains(want), "{input}: {err}");
    }
}

#[test]
fn saved_file_round_trips_with_mode_0600_and_one_entry_per_server() {
    let dir = tempfile::tempdir().unwrap();
    let store = CredentialStore::at(dir.path().join("nested"));
    let mut creds = store.load().unwrap();
    assert!(creds.servers().next().is_none());
    creds.insert(&url("http://a:8080/"), entry("gwa_one"));
    creds.insert(&url("http://A:8080"), entry("gwa_two"));
    creds.insert(&url("https://b"), entry("gwa_three"));
    store.save(&creds).unwrap();

    let again = store.load().unwrap();
    assert_eq!(
        again.servers().collect::<Vec<_>>(),
        vec!["http://a:8080", "https://b"]
    );
    assert_eq!(again.get(&url("http://a:8080")).unwrap().token, "gwa_two");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(leftovers, vec![FILE_NAME.to_string()], "no temp file left");
}

#[cfg(unix)]
#[test]
fn a_file_others_can_read_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = CredentialStore::at(dir.path());
    let mut creds = Credentials::default();
    creds.insert(&url("http://a"), entry("gwa_x"));
    store.save(&creds).unwrap();
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = store.load().unwrap_err().to_string();
    assert!(err.contains("0644") && err.contains("chmod 600"), "{err}");
}

#[test]
fn select_takes_the_only_entry_and_asks_when_there_are_several() {
    let mut creds = Credentials::default();
    let err = creds.select(None).unwrap_err().to_string();
    assert!(err.contains("gateway login"), "{err}");
    creds.insert(&url("http://a"), entry("gwa_a"));
    assert_eq!(creds.select(None).unwrap().0.as_str(), "http://a");
    creds.insert(&url("http://b"), entry("gwa_b"));
    let err = creds.select(None).unwrap_err().to_string();
    assert!(
        err.contains("--server") && err.contains("http://b"),
        "{err}"
    );
    assert_eq!(
        creds.select(Some(&url("http://b/"))).unwrap().1.token,
        "gwa_b"
    );
    let err = creds
        .select(Some(&url("http://c")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not logged in to http://c"), "{err}");
}

#[test]
fn debug_never_shows_the_token() {
    let shown = format!("{:?}", entry("gwa_secretpart"));
    assert!(!shown.contains("secretpart"), "{shown}");
}
