//! HTTPS console and JSON API.
//!
//! - [`serve`] runs the console on a TLS-only listener (rustls, ring provider) until
//!   the shutdown future resolves. Plain HTTP on the port fails the handshake: there
//!   is no cleartext listener at all.
//! - [`router`] builds the axum router; tests drive it in-process with
//!   `router(state).oneshot(request)`.
//! - Data comes through [`ConsoleData`], which the store implements.
//!
//! Layout: `auth` (passwords, sessions, throttling), `mw` (authentication, CSRF,
//! security headers), `api` (JSON API under `/api/v1/`), `pages` (server-rendered
//! HTML), `assets` (embedded static files), `tls` (certificate, rustls config).
//! Docs: `docs/console.md`; the API: `assets/openapi.json`.

pub mod api;
pub mod assets;
pub mod auth;
pub mod data;
pub mod fmt;
pub mod memory;
pub mod mw;
pub mod ops;
pub mod pages;
pub mod tls;
pub mod views;

pub use data::ConsoleData;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Errors of the console.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error("store: {0}")]
    Store(String),
    /// Hashing or random generation failed.
    #[error("crypto: {0}")]
    Crypto(String),
    /// Certificate or TLS configuration problem.
    #[error("tls: {0}")]
    Tls(String),
    /// Listener or server I/O.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// Name of an ATT&CK for ICS technique id, or "" when unknown.
pub fn mitre_name(id: &str) -> &'static str {
    otwatch_analyst::technique_name(id).unwrap_or("")
}

/// Result alias.
pub type Result<T> = std::result::Result<T, Error>;

/// The wall clock as epoch seconds. The console is the one place that reads it
/// (sessions, audit timestamps); everything below runs on packet time.
#[expect(clippy::disallowed_methods, reason = "console uses wall-clock time")]
pub fn wall_clock() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A clock the state reads (the wall clock in production, a manual one in tests).
pub type ClockFn = Arc<dyn Fn() -> f64 + Send + Sync>;

/// Static facts shown on the admin page.
#[derive(Clone, Debug, Default)]
pub struct ConsoleInfo {
    /// Certificate fingerprint (SHA-256).
    pub cert_fingerprint: String,
    /// Certificate source (`generated` or a path).
    pub cert_source: String,
    /// Zones as (name, level, CIDRs), for the admin page.
    pub zones: Vec<(String, String, String)>,
    /// Path of the database.
    pub db_path: String,
}

/// Shared state of all handlers.
pub struct AppState {
    /// The data.
    pub data: Arc<dyn ConsoleData>,
    /// Login failure counters.
    pub throttle: auth::LoginThrottle,
    /// Clock (epoch seconds).
    pub clock: ClockFn,
    /// Facts for the admin page.
    pub info: ConsoleInfo,
}

impl AppState {
    /// State over `data` with the wall clock.
    pub fn new(data: Arc<dyn ConsoleData>, info: ConsoleInfo) -> Self {
        Self::with_clock(data, info, Arc::new(wall_clock))
    }
    /// State with an injected clock (tests).
    pub fn with_clock(data: Arc<dyn ConsoleData>, info: ConsoleInfo, clock: ClockFn) -> Self {
        AppState {
            data,
            throttle: auth::LoginThrottle::default(),
            clock,
            info,
        }
    }
    /// Now, in epoch seconds.
    pub fn now(&self) -> f64 {
        (self.clock)()
    }
}

/// Shared state handle.
pub type Shared = Arc<AppState>;

/// Builds the full router (pages, API, static assets) with every middleware.
pub fn router(state: Shared) -> axum::Router {
    mw::wrap(
        pages::routes().merge(api::routes()).merge(assets::routes()),
        state,
    )
}

/// How to run the console.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Listen address (default 127.0.0.1:8443).
    pub listen: SocketAddr,
    /// User certificate chain (PEM), with `tls_key`.
    pub tls_cert: Option<PathBuf>,
    /// User private key (PEM), with `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Zones for the admin page.
    pub zones: Vec<(String, String, String)>,
    /// Path of the database, for the admin page.
    pub db_path: String,
}

/// What [`prepare`] printed facts about: the first admin's one-time password and the
/// certificate.
#[derive(Debug)]
pub struct Startup {
    /// One-time password of the bootstrap `admin` (first start only).
    pub admin_password: Option<String>,
    /// The certificate in use.
    pub cert: tls::CertMaterial,
    /// Its SHA-256 fingerprint.
    pub fingerprint: String,
}

/// First-start work: the bootstrap admin and the certificate.
pub fn prepare(cfg: &ServeConfig, data: &dyn ConsoleData) -> Result<Startup> {
    let now = wall_clock();
    let admin_password = auth::bootstrap_admin(data, now)?;
    let cert = tls::load_or_create(
        data,
        cfg.tls_cert.as_deref(),
        cfg.tls_key.as_deref(),
        now as i64,
    )?;
    let fingerprint = cert.fingerprint()?;
    Ok(Startup {
        admin_password,
        cert,
        fingerprint,
    })
}

/// Runs the HTTPS console until `shutdown` resolves. Call from a tokio runtime; the
/// pipeline may write to the same store from another thread meanwhile.
pub async fn serve(
    cfg: ServeConfig,
    data: Arc<dyn ConsoleData>,
    startup: &Startup,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let tls = tls::server_config(&startup.cert)?;
    let info = ConsoleInfo {
        cert_fingerprint: startup.fingerprint.clone(),
        cert_source: startup.cert.source.clone(),
        zones: cfg.zones.clone(),
        db_path: cfg.db_path.clone(),
    };
    let state = Arc::new(AppState::new(data, info));
    let app = router(state);
    let rustls_cfg = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls));
    let handle = axum_server::Handle::new();
    let h2 = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        h2.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    });
    axum_server::bind_rustls(cfg.listen, rustls_cfg)
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await?;
    Ok(())
}
