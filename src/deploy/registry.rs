//! Registry credentials: the masked [`Secret`], the `X-Registry-Auth` header in the
//! encoding the engine expects (base64url, which bollard 0.21 gets wrong), and reading an
//! entry of `~/.docker/config.json` or a credential helper's answer (pure: the caller reads
//! the file and runs the helper).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde_json::{Value, json};

/// A password or token. Debug and Display print `••••`; it has no `Serialize`, so it cannot
/// end up in a JSON log by accident. [`Secret::expose`] is the one way to the value.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value, for the header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("••••")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("••••")
    }
}

impl Drop for Secret {
    /// Best effort: overwrite the bytes before the memory is freed.
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
}

/// The `X-Registry-Auth` header value: base64url (RFC 4648 §5, with padding, as the docker
/// CLI writes it) of `{"username","password","serveraddress"}`. The standard alphabet's
/// `+` and `/` are what older engines fail on ("invalid authconfig" on the workers, then
/// "No such image").
pub fn registry_auth_header(username: &str, password: &Secret, server: &str) -> String {
    let body = json!({
        "username": username,
        "password": password.expose(),
        "serveraddress": server,
    });
    URL_SAFE.encode(body.to_string())
}

/// The header for an identity token (a credential helper's `<token>` answer).
pub fn registry_token_header(token: &Secret, server: &str) -> String {
    let body = json!({"identitytoken": token.expose(), "serveraddress": server});
    URL_SAFE.encode(body.to_string())
}

/// What `~/.docker/config.json` holds for one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredAuth {
    /// `auths.{server}.auth`: base64 of `user:password`.
    Basic { username: String, password: Secret },
    /// `auths.{server}.identitytoken`.
    Token(Secret),
    /// A credential helper: run `docker-credential-NAME get` with the server on stdin
    /// (then [`helper_output`]).
    Helper(String),
    /// Nothing for this registry.
    Missing,
}

/// A registry as image references name it: the host (with its port), without a scheme, a
/// trailing `/` or `/v1`; Docker Hub's many names (`https://index.docker.io/v1/`,
/// `index.docker.io`, `registry-1.docker.io`) are `docker.io`.
pub fn registry_host(server: &str) -> String {
    let bare = server
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let bare = bare.strip_suffix("/v1").unwrap_or(bare);
    if matches!(
        bare,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    ) {
        return "docker.io".to_string();
    }
    bare.to_string()
}

/// The keys a registry may be stored under (`docker login` writes Docker Hub as
/// `https://index.docker.io/v1/`, older files have `https://` in front of others).
fn server_keys(server: &str) -> Vec<String> {
    let bare = registry_host(server);
    if bare == "docker.io" {
        return vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
        ];
    }
    vec![
        bare.clone(),
        format!("https://{bare}"),
        format!("https://{bare}/"),
        format!("https://{bare}/v1/"),
        format!("http://{bare}"),
    ]
}

/// Where the docker CLI looks for a registry's credentials, in its order: `credHelpers`,
/// then `credsStore`, then `auths`. The one lookup behind [`stored_auth`] (what a deploy and
/// an image update send) and [`known_registries`] (what `:registries` lists).
enum Lookup<'a> {
    /// `credHelpers.{server}` (`own`) or `credsStore` (every registry without its own).
    Helper {
        name: String,
        own: bool,
    },
    /// The `auths` entry.
    Entry(&'a Value),
    Missing,
}

fn lookup<'a>(config: &'a Value, server: &str) -> Lookup<'a> {
    let keys = server_keys(server);
    if let Some(helpers) = config.get("credHelpers").and_then(Value::as_object)
        && let Some(h) = keys
            .iter()
            .find_map(|k| helpers.get(k).and_then(Value::as_str))
    {
        return Lookup::Helper {
            name: h.to_string(),
            own: true,
        };
    }
    if let Some(store) = creds_store(config) {
        return Lookup::Helper {
            name: store.to_string(),
            own: false,
        };
    }
    match config
        .get("auths")
        .and_then(Value::as_object)
        .and_then(|auths| keys.iter().find_map(|k| auths.get(k)))
    {
        Some(entry) => Lookup::Entry(entry),
        None => Lookup::Missing,
    }
}

fn creds_store(config: &Value) -> Option<&str> {
    config
        .get("credsStore")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// An `auths` entry's `auth` (base64 `user:password`) decoded, held as a [`Secret`].
fn decoded_auth(entry: &Value) -> Option<Secret> {
    entry
        .get("auth")
        .and_then(Value::as_str)
        .and_then(|a| STANDARD.decode(a.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .map(Secret::new)
}

fn identity_token(entry: &Value) -> Option<&str> {
    entry
        .get("identitytoken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
}

/// The credentials for `server` in a parsed `~/.docker/config.json`, in the docker CLI's
/// order: `credHelpers.{server}`, then `credsStore`, then `auths`.
pub fn stored_auth(config: &Value, server: &str) -> StoredAuth {
    let entry = match lookup(config, server) {
        Lookup::Helper { name, .. } => return StoredAuth::Helper(name),
        Lookup::Missing => return StoredAuth::Missing,
        Lookup::Entry(entry) => entry,
    };
    if let Some(token) = identity_token(entry) {
        return StoredAuth::Token(Secret::new(token));
    }
    match decoded_auth(entry)
        .as_ref()
        .and_then(|d| d.expose().split_once(':'))
    {
        Some((user, password)) => StoredAuth::Basic {
            username: user.to_string(),
            password: Secret::new(password),
        },
        None => StoredAuth::Missing,
    }
}

/// Where a registry's credentials come from, as `~/.docker/config.json` says. Holds no
/// secret: listing never runs a credential helper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredSource {
    /// `auths.{server}.auth`: this user and a password, stored (base64) in the file.
    Stored { username: String },
    /// `auths.{server}.identitytoken`: a token stored in the file.
    Token,
    /// A credential helper, `docker-credential-NAME`: the registry's own (`credHelpers`,
    /// `own`) or the file's store for every registry (`credsStore`).
    Helper { name: String, own: bool },
    /// An `auths` entry with nothing usable in it.
    Empty,
}

impl CredSource {
    /// Where the credentials come from, in words ("stored in config.json", "credential
    /// helper docker-credential-pass").
    pub fn describe(&self) -> String {
        match self {
            CredSource::Stored { .. } => "stored in config.json".into(),
            CredSource::Token => "identity token stored in config.json".into(),
            CredSource::Helper { name, own: true } => {
                format!("credential helper docker-credential-{name}")
            }
            CredSource::Helper { name, own: false } => {
                format!("credential store docker-credential-{name} (credsStore)")
            }
            CredSource::Empty => "entry without credentials".into(),
        }
    }

    /// The user, when the file says it ("via helper" for a helper: it is not asked).
    pub fn user(&self) -> &str {
        match self {
            CredSource::Stored { username } => username,
            CredSource::Helper { .. } => "via helper",
            CredSource::Token | CredSource::Empty => "-",
        }
    }

    /// Whether a pull would get credentials from here.
    pub fn usable(&self) -> bool {
        !matches!(self, CredSource::Empty)
    }
}

/// A registry `~/.docker/config.json` knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownRegistry {
    /// As image references name it ([`registry_host`]): `docker.io`, `198.51.100.5:5000`.
    pub host: String,
    /// The key as the file writes it (`https://index.docker.io/v1/`).
    pub key: String,
    pub source: CredSource,
}

/// What `~/.docker/config.json` says about registries, without a secret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Registries {
    /// The file read.
    pub path: String,
    /// Whether there is such a file.
    pub found: bool,
    /// Every registry with an `auths` or `credHelpers` entry, by host.
    pub known: Vec<KnownRegistry>,
    /// `credsStore`: the helper every other registry's credentials come from.
    pub store: Option<String>,
}

impl Registries {
    /// Where the credentials for `host` come from (None: no credentials here), through the
    /// same lookup a deploy and an image update use.
    pub fn source_for(&self, host: &str) -> Option<CredSource> {
        let host = registry_host(host);
        self.known
            .iter()
            .find(|k| k.host == host)
            .map(|k| k.source.clone())
            .or_else(|| {
                self.store.as_ref().map(|name| CredSource::Helper {
                    name: name.clone(),
                    own: false,
                })
            })
    }
}

/// The registries of a parsed `~/.docker/config.json` (`auths` keys, `credHelpers` entries,
/// `credsStore`), each with where its credentials come from, as [`stored_auth`] would look
/// them up. A stored password is decoded only to read the user and never kept.
pub fn known_registries(config: &Value) -> (Vec<KnownRegistry>, Option<String>) {
    let mut keys: Vec<String> = Vec::new();
    for table in ["auths", "credHelpers"] {
        if let Some(m) = config.get(table).and_then(Value::as_object) {
            keys.extend(m.keys().cloned());
        }
    }
    let mut out: Vec<KnownRegistry> = Vec::new();
    for key in keys {
        let host = registry_host(&key);
        if host.is_empty() || out.iter().any(|k| k.host == host) {
            continue;
        }
        let source = match lookup(config, &host) {
            Lookup::Helper { name, own } => CredSource::Helper { name, own },
            Lookup::Entry(entry) if identity_token(entry).is_some() => CredSource::Token,
            Lookup::Entry(entry) => match decoded_auth(entry)
                .as_ref()
                .and_then(|d| d.expose().split_once(':'))
            {
                Some((user, _)) => CredSource::Stored {
                    username: user.to_string(),
                },
                None => CredSource::Empty,
            },
            Lookup::Missing => CredSource::Empty,
        };
        out.push(KnownRegistry { host, key, source });
    }
    out.sort_by(|a, b| a.host.cmp(&b.host));
    (out, creds_store(config).map(str::to_string))
}

/// A credential helper's `get` answer, `{"ServerURL","Username","Secret"}`: a user and
/// password, or (Username `<token>`) an identity token, as [`StoredAuth`].
pub fn helper_output(stdout: &str) -> Result<StoredAuth, String> {
    let v: Value = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("the credential helper's answer is not JSON: {e}"))?;
    let user = v.get("Username").and_then(Value::as_str).unwrap_or("");
    let secret = v
        .get("Secret")
        .and_then(Value::as_str)
        .ok_or("the credential helper's answer has no Secret")?;
    if user == "<token>" {
        Ok(StoredAuth::Token(Secret::new(secret)))
    } else {
        Ok(StoredAuth::Basic {
            username: user.to_string(),
            password: Secret::new(secret),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn basic(user: &str, password: &str) -> String {
        STANDARD.encode(format!("{user}:{password}"))
    }

    #[test]
    fn known_registries_name_the_source_and_user_never_the_password() {
        let config = json!({
            "auths": {
                "198.51.100.5:5000": {"auth": basic("lab", "pa+ss/word")},
                "https://index.docker.io/v1/": {"auth": basic("hubuser", "hubsecret")},
                "tok.example": {"identitytoken": "tok-secret"},
                "empty.example": {},
                "ecr.example": {}
            },
            "credHelpers": {"ecr.example": "ecr-login", "gcr.example": "gcloud"}
        });
        let (known, store) = known_registries(&config);
        assert_eq!(store, None);
        let summary: Vec<(String, String, String)> = known
            .iter()
            .map(|k| {
                (
                    k.host.clone(),
                    k.source.describe(),
                    k.source.user().to_string(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "198.51.100.5:5000".into(),
                    "stored in config.json".into(),
                    "lab".into()
                ),
                (
                    "docker.io".into(),
                    "stored in config.json".into(),
                    "hubuser".into()
                ),
                (
                    "ecr.example".into(),
                    "credential helper docker-credential-ecr-login".into(),
                    "via helper".into()
                ),
                (
                    "empty.example".into(),
                    "entry without credentials".into(),
                    "-".into()
                ),
                (
                    "gcr.example".into(),
                    "credential helper docker-credential-gcloud".into(),
                    "via helper".into()
                ),
                (
                    "tok.example".into(),
                    "identity token stored in config.json".into(),
                    "-".into()
                ),
            ]
        );
        let printed = format!("{known:?}");
        for secret in ["pa+ss/word", "hubsecret", "tok-secret"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        // the listing and a deploy's lookup agree, registry by registry
        for k in &known {
            let stored = stored_auth(&config, &k.host);
            match (&k.source, stored) {
                (CredSource::Stored { username }, StoredAuth::Basic { username: u, .. }) => {
                    assert_eq!(username, &u)
                }
                (CredSource::Token, StoredAuth::Token(_)) => {}
                (CredSource::Helper { name, .. }, StoredAuth::Helper(h)) => assert_eq!(name, &h),
                (CredSource::Empty, StoredAuth::Missing) => {}
                (a, b) => panic!("{}: the listing says {a:?}, a deploy finds {b:?}", k.host),
            }
        }
        let reg = Registries {
            path: "/home/op/.docker/config.json".into(),
            found: true,
            known,
            store,
        };
        assert_eq!(
            reg.source_for("registry-1.docker.io")
                .map(|s| s.user().to_string()),
            Some("hubuser".into())
        );
        assert_eq!(reg.source_for("other.example"), None);
    }

    #[test]
    fn a_creds_store_covers_every_registry_without_its_own_helper() {
        let config = json!({
            "auths": {"reg.example": {}},
            "credsStore": "pass",
            "credHelpers": {"ecr.example": "ecr-login"}
        });
        let (known, store) = known_registries(&config);
        assert_eq!(store.as_deref(), Some("pass"));
        assert_eq!(
            known[1].source,
            CredSource::Helper {
                name: "pass".into(),
                own: false
            }
        );
        let reg = Registries {
            known,
            store,
            ..Default::default()
        };
        assert_eq!(
            reg.source_for("anything.example").map(|s| s.describe()),
            Some("credential store docker-credential-pass (credsStore)".into())
        );
        assert_eq!(
            reg.source_for("ecr.example").map(|s| s.describe()),
            Some("credential helper docker-credential-ecr-login".into())
        );
        assert_eq!(registry_host("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(
            registry_host("https://reg.example:5000/"),
            "reg.example:5000"
        );
    }
}
