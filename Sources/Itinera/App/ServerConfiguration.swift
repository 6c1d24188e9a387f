public import Logging
import PostgresNIO

/// Everything `itinera serve` needs to know, after flags, environment and config file are merged.
public struct ServerConfiguration: Sendable {
    /// Address to listen on; `127.0.0.1` by default so a development server is not exposed.
    public var host = "127.0.0.1"
    public var port = 8443
    /// PEM certificate chain and private key; when both are absent a self-signed pair is made.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Where the embedded database and the development certificate live.
    public var dataDirectory = ".itinera"
    /// The database server; `nil` starts the embedded PostgreSQL.
    public var database: DatabaseSettings?
    /// Whether `serve` applies pending migrations; `nil` means yes for the embedded database and no
    /// for a configured one, which then refuses to start while migrations are pending.
    public var migrateOnStart: Bool?
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    /// The clock complaints are timed by (the system's, but for tests).
    public var clock = WallClock.system
    public var logLevel: Logger.Level = .info
    /// Most of the pool's connections to PostgreSQL at work at once.
    public var databaseConnections = 20
    /// Most connections the pool keeps open (at least `databaseConnections`; `nil`: as many). More
    /// open than at work lets each tenant keep its caches on several (see `PQPool`).
    public var databaseOpenConnections: Int?
    /// How many tenants' schemas one connection works in before it is replaced (each leaves its
    /// caches in the backend; see `PQPool`).
    public var databaseConnectionTenants = PQPool.defaultTenants
    /// Tenant schemas kept built ahead of sign-up (0 builds each at sign-up).
    public var spareSchemas = 3
    /// bcrypt work factor for passwords.
    public var bcryptCost: UInt8 = 12
    public var loginLimits = LoginThrottle.Limits()
    /// The platform operator's token for `/v1/platform/...`; `nil` disables those operations.
    public var platformToken: String?
    /// Where tenant archives are written and restored from; default `<data-dir>/exports`.
    public var exportDirectory: String?
    /// Requests per second (sustained, and burst) per API key and per tenant.
    public var keyRateLimit = RateLimiter.Limit(perSecond: 100, burst: 200)
    public var tenantRateLimit = RateLimiter.Limit(perSecond: 300, burst: 600)
    /// How long an invitation token stays valid.
    public var invitationLifetime: Duration = .seconds(7 * 24 * 3600)
    /// How often API keys' last-used times are written.
    public var keyUsageFlushInterval: Duration = .seconds(15)
    /// Background job workers `serve` runs beside the HTTP server (0: jobs run only in `itinera worker`).
    public var jobWorkers = 1
    /// How long a worker holds a job without reporting before another may take it over (the worker
    /// is presumed dead); a job's progress renews it.
    public var jobLease: Duration = .seconds(120)
    /// The longest a statement waits for a row or table lock before its request gets a 503 (or its
    /// job is retried): PostgreSQL's `lock_timeout` on every pooled connection.
    public var lockTimeout: Duration = DatabaseSettings.lockTimeout
    /// How often each tenant's loyalty sweep (points expiry, due demotions, rolling windows) runs.
    public var loyaltySweepInterval: Duration = .seconds(24 * 3600)
    /// How often each tenant's insight figures are computed again (`insight.refresh`).
    public var insightRefreshInterval: Duration = .seconds(3600)
    /// How long a request waits for a pooled connection before a 503 (`ConnectionWait`).
    public var databaseWait: Duration = ConnectionWait.requestDefault
    /// How long `/readyz` waits for the database before it answers 503.
    public var readinessDeadline: Duration = .seconds(1)
    /// How long a shutdown waits for requests in flight and jobs running before it gives up on them
    /// (inside Kubernetes' default grace of 30 s).
    public var shutdownDeadline: Duration = .seconds(25)
    /// How webhooks are sent (private receivers, retries, timeout).
    public var webhooks = WebhookSettings()
    /// How long outbox events and ended jobs are kept (the daily `delivery.prune`).
    public var outboxRetention: Duration = .seconds(30 * 24 * 3600)
    /// Where e-mail goes (`ITINERA_SMTP_URL`, `ITINERA_MAIL_FROM`); nil sends none.
    public var mail: MailSettings?
    /// Links in messages and the SMS and WeChat gateway.
    public var messages = MessageSettings()
    /// Adds `GET /bench/select1`, the benchmark's framework-and-driver ceiling. Off in production.
    public var benchmarkRoutes = false

    public init() {}

    /// The export directory, resolved against the data directory.
    public var resolvedExportDirectory: String { exportDirectory ?? dataDirectory + "/exports" }
}
