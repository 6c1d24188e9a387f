import Foundation
public import Hummingbird
import HummingbirdTLS
public import Logging
public import NIOSSL
import OpenAPIHummingbird
import OpenAPIRuntime
public import PostgresNIO
public import ServiceLifecycle

/// What the application is built from; every dependency is passed in, nothing is global.
public struct ApplicationParts: Sendable {
    public var configuration: ServerConfiguration
    public var client: PQPool
    public var migrations: MigrationSet
    public var logger: Logger
    /// Ready-made tenant schemas for sign-up; `buildApplication` runs one, tests may pass their own.
    public var spares: SpareSchemaPool?
    /// Where API keys' last-used times wait to be written; `buildApplication` runs it as a service.
    public var keyUsage: APIKeyUsage?
    /// Set once a shutdown begins (`runUntilShutdown`).
    public var draining: Draining

    public init(
        configuration: ServerConfiguration,
        client: PQPool,
        migrations: MigrationSet,
        logger: Logger,
        spares: SpareSchemaPool? = nil,
        keyUsage: APIKeyUsage? = nil,
        draining: Draining = Draining()
    ) {
        self.configuration = configuration
        self.client = client
        self.migrations = migrations
        self.logger = logger
        self.spares = spares
        self.keyUsage = keyUsage
        self.draining = draining
    }
}

/// Builds the router: middleware, the generated API operations and the few plain routes.
public func buildRouter(_ parts: ApplicationParts) throws -> Router<ItineraRequestContext> {
    let configuration = parts.configuration
    let logger = parts.logger
    let hasher = PasswordHasher(cost: configuration.bcryptCost)
    let migrator = Migrator(client: parts.client, migrations: parts.migrations, logger: logger)
    let access = AccessControl(
        client: parts.client,
        limiter: RateLimiter(perKey: configuration.keyRateLimit, perTenant: configuration.tenantRateLimit),
        usage: parts.keyUsage,
        logger: logger
    )
    // Each capability adds its reactions to the others' domain events (`wireDomainEvents`).
    let (events, orderReads) = wireDomainEvents(configuration)
    let service = APIService(
        controllers: Controllers([
            HealthController(
                migrator: migrator, draining: parts.draining, deadline: configuration.readinessDeadline, logger: logger),
            TenancyController(
                access: access,
                provisioner: TenantProvisioner(
                    client: parts.client,
                    migrations: parts.migrations,
                    sessionLifetime: configuration.sessionLifetime,
                    logger: logger,
                    spares: parts.spares
                ),
                store: TenantStore(client: parts.client, logger: logger),
                hasher: hasher,
                logger: logger
            ),
            SessionController(
                store: SessionStore(client: parts.client, logger: logger),
                access: access,
                hasher: hasher,
                throttle: LoginThrottle(limits: configuration.loginLimits),
                sessionLifetime: configuration.sessionLifetime,
                logger: logger
            ),
            UserController(
                access: access,
                hasher: hasher,
                invitationLifetime: configuration.invitationLifetime,
                sessionLifetime: configuration.sessionLifetime,
                logger: logger
            ),
            APIKeyController(access: access, logger: logger),
            AuditController(access: access, logger: logger),
            PlatformController(
                store: PlatformStore(client: parts.client, logger: logger),
                archive: TenantArchive(
                    client: parts.client,
                    directory: URL(fileURLWithPath: configuration.resolvedExportDirectory),
                    logger: logger
                ),
                migrations: parts.migrations,
                logger: logger
            ),
            CustomerController(
                access: access, events: events,
                viewParts: [MemberStore.customerViewPart, CommunityStore.customerViewPart], logger: logger),
            OrderController(access: access, events: events, reads: orderReads, logger: logger),
            TagController(access: access, logger: logger),
            ImportController(access: access, logger: logger),
            SegmentController(access: access, logger: logger),
            ProgramController(
                access: access,
                sharing: SnapshotSharing(
                    client: parts.client,
                    capacity: SnapshotSharing.capacity(forPoolOf: configuration.databaseConnections)),
                logger: logger),
            MemberController(access: access, events: events, logger: logger),
            JobController(access: access, logger: logger),
            WebhookController(access: access, settings: configuration.webhooks, logger: logger),
            MessageTemplateController(access: access, logger: logger),
            CommunityController(access: access, events: events, logger: logger),
            EventController(access: access, events: events, logger: logger),
            RegistrationController(access: access, events: events, logger: logger),
            OfferController(access: access, events: events, logger: logger),
            ContestController(access: access, events: events, logger: logger),
            CampaignController(access: access, events: events, logger: logger),
            ComplaintController(access: access, events: events, clock: configuration.clock, logger: logger),
            TouchpointController(access: access, logger: logger),
            RiskAlertController(access: access, events: events, logger: logger),
            NPSController(access: access, events: events, clock: configuration.clock, logger: logger),
            CareSettingsController(access: access, logger: logger),
            InsightController(access: access, clock: configuration.clock, logger: logger),
            MessageController(
                access: access, channels: try MessageChannels(parts), attempts: configuration.webhooks.maxAttempts,
                logger: logger),
        ]))

    ItineraMetrics.bootstrap()
    let router = Router(context: ItineraRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: RequestScopeMiddleware(logger: logger, connectionWait: configuration.databaseWait))
    router.add(middleware: DrainingMiddleware(draining: parts.draining))
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: BodyLimitMiddleware(streamingPaths: [ImportController.path]))
    router.add(
        middleware: MediaTypeAliasMiddleware(aliases: [ImportController.path: ImportController.mediaTypeAliases]))
    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: embeddedOpenAPIDocument))
        )
    }
    MetricsRoute(client: parts.client, platformToken: configuration.platformToken, logger: logger).add(to: router)
    let linkKey = MessageLinkKey(client: parts.client, logger: logger)
    MessageLinkRoutes(
        client: parts.client, key: linkKey, events: events, attempts: configuration.webhooks.maxAttempts,
        logger: logger
    ).add(to: router)
    SurveyRoutes(client: parts.client, key: linkKey, events: events, clock: configuration.clock, logger: logger)
        .add(to: router)
    ConsoleRoutes(
        service: service, access: access, key: linkKey, sessionLifetime: configuration.sessionLifetime,
        logger: logger
    )
    .add(to: router)
    if configuration.benchmarkRoutes {
        addBenchmarkRoutes(to: router, client: parts.client, access: access, logger: logger)
    }
    // Compact JSON: the runtime's pretty-printed default costs bytes on every response.
    try service.registerHandlers(
        on: router,
        configuration: .init(dateTranscoder: RFC3339DateTranscoder(), jsonEncodingOptions: [.sortedKeys]),
        middlewares: [
            AccessMiddleware(platformToken: configuration.platformToken, checkCaller: access.check, logger: logger),
            NullCheckMiddleware(),
        ]
    )
    return router
}

/// Builds the HTTPS application: the router behind TLS, the database pool as a service, and a check
/// before the server listens that migrations are current (applying them when so configured).
public func buildApplication(
    _ parts: ApplicationParts,
    tls: TLSConfiguration,
    migrateOnStart: Bool,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    var parts = parts
    let latestControlVersion = parts.migrations.latestControlVersion
    let spares =
        parts.configuration.spareSchemas > 0
        ? SpareSchemaPool(
            client: parts.client,
            migrations: parts.migrations,
            target: parts.configuration.spareSchemas,
            logger: parts.logger
        ) : nil
    parts.spares = spares
    let keyUsage =
        parts.keyUsage
        ?? APIKeyUsage(client: parts.client, interval: parts.configuration.keyUsageFlushInterval, logger: parts.logger)
    parts.keyUsage = keyUsage
    let router = try buildRouter(parts)
    var app = Application(
        router: router,
        server: try .tls(.http1(), tlsConfiguration: tls),
        configuration: .init(
            address: .hostname(parts.configuration.host, port: parts.configuration.port), serverName: nil),
        services: try [parts.client] + (spares.map { [$0] } ?? []) + [keyUsage]
            + (0..<parts.configuration.jobWorkers).map { index in
                try makeJobWorker(parts, schedules: index == 0) as any Service
            } as [any Service],
        onServerRunning: onServerRunning,
        logger: parts.logger
    )
    let migrator = Migrator(client: parts.client, migrations: parts.migrations, logger: parts.logger)
    app.beforeServerStarts {
        if migrateOnStart {
            let report = try await migrator.run()
            if let failed = report.failedTenants.first {
                throw MigrationError.badSequence(
                    "\(report.failedTenants.count) tenant migrations failed, first \(failed.slug): \(failed.error ?? "")"
                )
            }
        }
        let status = try await migrator.status()
        if status.controlVersion > latestControlVersion {
            throw MigrationError.databaseAhead(
                applied: status.controlVersion, known: latestControlVersion)
        }
        guard status.isCurrent else {
            throw MigrationError.pending(control: status.pendingControl, tenantsBehind: status.tenantsBehind)
        }
        spares?.requestRefill()
    }
    return app
}

/// A worker for every kind of background job; the one that `schedules` also queues the periodic
/// ones (the loyalty sweep, the outbox's pruning, the touchpoints' hourly catch-up, the insight refresh).
public func makeJobWorker(_ parts: ApplicationParts, schedules: Bool = true) throws -> JobWorker {
    let (events, _) = wireDomainEvents(parts.configuration)
    return JobWorker(
        client: parts.client,
        handlers: [
            TierReevaluationJob(events: events), LoyaltySweepJob(events: events),
            WebhookDeliveryJob(client: try WebhookClient(settings: parts.configuration.webhooks)),
            OutboxPruneJob(retention: parts.configuration.outboxRetention),
            MessageSendJob(channels: try MessageChannels(parts), settings: parts.configuration.webhooks),
            HoldExpiryJob(events: events), CampaignSendJob(events: events), CampaignRunJob(events: events),
            ComplaintCheckJob(events: events, clock: parts.configuration.clock),
            TouchpointJob(
                events: events,
                surveys: SurveyLinks(
                    baseURL: parts.configuration.messages.baseURL(
                        host: parts.configuration.host, port: parts.configuration.port),
                    key: MessageLinkKey(client: parts.client, logger: parts.logger))),
            RiskAlertJob(events: events), InsightRefreshJob(clock: parts.configuration.clock),
        ],
        periodic: schedules
            ? [
                (LoyaltySweepJob.kind, parts.configuration.loyaltySweepInterval),
                (OutboxPruneJob.kind, .seconds(24 * 3600)),
                // Touchpoints are sent by the job queued for their due time; this catches any whose
                // order committed just as that job ran.
                (TouchpointJob.kind, .seconds(3600)),
                (InsightRefreshJob.kind, parts.configuration.insightRefreshInterval),
            ] : [],
        lease: parts.configuration.jobLease,
        logger: parts.logger)
}

/// Runs `count` job workers and the database pool without the HTTP server (`itinera worker`), until
/// SIGTERM or SIGINT (each worker stops after its current job, within the shutdown deadline). Before the workers start, pending migrations are applied when `migrate` is set,
/// and otherwise refused.
public func runJobWorkers(_ parts: ApplicationParts, count: Int, migrate: Bool) async throws {
    let workers = JobWorkers(parts: parts, count: max(1, count), migrate: migrate)
    var configuration = ServiceGroupConfiguration(
        services: [
            .init(service: parts.client),
            .init(service: workers, successTerminationBehavior: .gracefullyShutdownGroup),
        ],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: parts.logger)
    // A job that does not reach a point where it can stop within the deadline is cancelled.
    configuration.maximumGracefulShutdownDuration = parts.configuration.shutdownDeadline
    try await ServiceGroup(configuration: configuration).run()
}

/// The workers of `itinera worker`, started once the schema is current.
struct JobWorkers: Service {
    let parts: ApplicationParts
    let count: Int
    let migrate: Bool

    func run() async throws {
        let migrator = Migrator(client: parts.client, migrations: parts.migrations, logger: parts.logger)
        if migrate {
            let report = try await migrator.run()
            if let failed = report.failedTenants.first {
                throw MigrationError.badSequence(
                    "\(report.failedTenants.count) tenant migrations failed, first \(failed.slug): \(failed.error ?? "")"
                )
            }
        }
        let status = try await migrator.status()
        guard status.isCurrent else {
            throw MigrationError.pending(control: status.pendingControl, tenantsBehind: status.tenantsBehind)
        }
        parts.logger.notice("Itinera job workers are running", metadata: ["workers": "\(count)"])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<count {
                let worker = try makeJobWorker(parts, schedules: index == 0)
                tasks.addTask { try await worker.run() }
            }
            try await tasks.waitForAll()
        }
    }
}
