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

/// The keys a registry may be stored under (`docker login` writes Docker Hub as
/// `https://index.docker.io/v1/`, older files have `https://` in front of others).
fn server_keys(server: &str) -> Vec<String> {
    let bare = server
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let bare = bare.strip_suffix("/v1").unwrap_or(bare).to_string();
    if matches!(
        bare.as_str(),
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    ) {
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

/// The credentials for `server` in a parsed `~/.docker/config.json`, in the docker CLI's
/// order: `credHelpers.{server}`, then `credsStore`, then `auths`.
pub fn stored_auth(config: &Value, server: &str) -> StoredAuth {
    let keys = server_keys(server);
    if let Some(helpers) = config.get("credHelpers").and_then(Value::as_object)
        && let Some(h) = keys
            .iter()
            .find_map(|k| helpers.get(k).and_then(Value::as_str))
    {
        return StoredAuth::Helper(h.to_string());
    }
    if let Some(store) = config.get("credsStore").and_then(Value::as_str)
        && !store.is_empty()
    {
        return StoredAuth::Helper(store.to_string());
    }
    let Some(entry) = config
        .get("auths")
        .and_then(Value::as_object)
        .and_then(|auths| keys.iter().find_map(|k| auths.get(k)))
    else {
        return StoredAuth::Missing;
    };
    if let Some(token) = entry.get("identitytoken").and_then(Value::as_str)
        && !token.is_empty()
    {
        return StoredAuth::Token(Secret::new(token));
    }
    let decoded = entry
        .get("auth")
        .and_then(Value::as_str)
        .and_then(|a| STANDARD.decode(a.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok());
    match decoded.as_deref().and_then(|d| d.split_once(':')) {
        Some((user, password)) => StoredAuth::Basic {
            username: user.to_string(),
            password: Secret::new(password),
        },
        None => StoredAuth::Missing,
    }
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
