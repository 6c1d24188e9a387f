import ItineraAPI

/// The generated API protocol, answered by the controller of each capability.
struct APIService: APIProtocol {
    let health: HealthController
    let tenancy: TenancyController
    let sessions: SessionController
    let users: UserController
    let apiKeys: APIKeyController
    let audit: AuditController
    let platform: PlatformController
    let customers: CustomerController
    let orders: OrderController
    let tags: TagController
    let imports: ImportController
    let segments: SegmentController
    let programs: ProgramController
    let members: MemberController
    let jobs: JobController

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        try await health.getHealth(input)
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        try await health.getReadiness(input)
    }

    func signUp(_ input: Operations.SignUp.Input) async throws -> Operations.SignUp.Output {
        try await tenancy.signUp(input)
    }

    func createSession(_ input: Operations.CreateSession.Input) async throws -> Operations.CreateSession.Output {
        try await sessions.createSession(input)
    }

    func deleteCurrentSession(
        _ input: Operations.DeleteCurrentSession.Input
    ) async throws -> Operations.DeleteCurrentSession.Output {
        try await sessions.deleteCurrentSession(input)
    }

    func getTenant(_ input: Operations.GetTenant.Input) async throws -> Operations.GetTenant.Output {
        try await tenancy.getTenant(input)
    }

    func updateTenant(_ input: Operations.UpdateTenant.Input) async throws -> Operations.UpdateTenant.Output {
        try await tenancy.updateTenant(input)
    }

    func acceptInvitation(_ input: Operations.AcceptInvitation.Input) async throws -> Operations.AcceptInvitation.Output
    {
        try await users.acceptInvitation(input)
    }

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        try await users.listUsers(input)
    }

    func inviteUser(_ input: Operations.InviteUser.Input) async throws -> Operations.InviteUser.Output {
        try await users.inviteUser(input)
    }

    func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        try await users.updateUser(input)
    }

    func deleteUser(_ input: Operations.DeleteUser.Input) async throws -> Operations.DeleteUser.Output {
        try await users.deleteUser(input)
    }

    func listApiKeys(_ input: Operations.ListApiKeys.Input) async throws -> Operations.ListApiKeys.Output {
        try await apiKeys.listApiKeys(input)
    }

    func createApiKey(_ input: Operations.CreateApiKey.Input) async throws -> Operations.CreateApiKey.Output {
        try await apiKeys.createApiKey(input)
    }

    func revokeApiKey(_ input: Operations.RevokeApiKey.Input) async throws -> Operations.RevokeApiKey.Output {
        try await apiKeys.revokeApiKey(input)
    }

    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        try await audit.listAuditEvents(input)
    }

    func listPlatformTenants(_ input: Operations.ListPlatformTenants.Input) async throws
        -> Operations.ListPlatformTenants.Output
    {
        try await platform.listPlatformTenants(input)
    }

    func suspendTenant(_ input: Operations.SuspendTenant.Input) async throws -> Operations.SuspendTenant.Output {
        try await platform.suspendTenant(input)
    }

    func resumeTenant(_ input: Operations.ResumeTenant.Input) async throws -> Operations.ResumeTenant.Output {
        try await platform.resumeTenant(input)
    }

    func exportTenant(_ input: Operations.ExportTenant.Input) async throws -> Operations.ExportTenant.Output {
        try await platform.exportTenant(input)
    }

    func deleteTenant(_ input: Operations.DeleteTenant.Input) async throws -> Operations.DeleteTenant.Output {
        try await platform.deleteTenant(input)
    }

    func restoreTenant(_ input: Operations.RestoreTenant.Input) async throws -> Operations.RestoreTenant.Output {
        try await platform.restoreTenant(input)
    }

    func createCustomer(_ input: Operations.CreateCustomer.Input) async throws -> Operations.CreateCustomer.Output {
        try await customers.createCustomer(input)
    }

    func listCustomers(_ input: Operations.ListCustomers.Input) async throws -> Operations.ListCustomers.Output {
        try await customers.listCustomers(input)
    }

    func getCustomer(_ input: Operations.GetCustomer.Input) async throws -> Operations.GetCustomer.Output {
        try await customers.getCustomer(input)
    }

    func updateCustomer(_ input: Operations.UpdateCustomer.Input) async throws -> Operations.UpdateCustomer.Output {
        try await customers.updateCustomer(input)
    }

    func eraseCustomer(_ input: Operations.EraseCustomer.Input) async throws -> Operations.EraseCustomer.Output {
        try await customers.eraseCustomer(input)
    }

    func mergeCustomers(_ input: Operations.MergeCustomers.Input) async throws -> Operations.MergeCustomers.Output {
        try await customers.mergeCustomers(input)
    }

    func getCustomerTimeline(_ input: Operations.GetCustomerTimeline.Input) async throws
        -> Operations.GetCustomerTimeline.Output
    {
        try await customers.getCustomerTimeline(input)
    }

    func createOrder(_ input: Operations.CreateOrder.Input) async throws -> Operations.CreateOrder.Output {
        try await orders.createOrder(input)
    }

    func getOrder(_ input: Operations.GetOrder.Input) async throws -> Operations.GetOrder.Output {
        try await orders.getOrder(input)
    }

    func cancelOrder(_ input: Operations.CancelOrder.Input) async throws -> Operations.CancelOrder.Output {
        try await orders.cancelOrder(input)
    }

    func createInteraction(_ input: Operations.CreateInteraction.Input) async throws
        -> Operations.CreateInteraction.Output
    {
        try await orders.createInteraction(input)
    }

    func listTags(_ input: Operations.ListTags.Input) async throws -> Operations.ListTags.Output {
        try await tags.listTags(input)
    }

    func createTag(_ input: Operations.CreateTag.Input) async throws -> Operations.CreateTag.Output {
        try await tags.createTag(input)
    }

    func deleteTag(_ input: Operations.DeleteTag.Input) async throws -> Operations.DeleteTag.Output {
        try await tags.deleteTag(input)
    }

    func listCustomerTags(_ input: Operations.ListCustomerTags.Input) async throws -> Operations.ListCustomerTags.Output
    {
        try await tags.listCustomerTags(input)
    }

    func tagCustomer(_ input: Operations.TagCustomer.Input) async throws -> Operations.TagCustomer.Output {
        try await tags.tagCustomer(input)
    }

    func untagCustomer(_ input: Operations.UntagCustomer.Input) async throws -> Operations.UntagCustomer.Output {
        try await tags.untagCustomer(input)
    }

    func recomputeRfm(_ input: Operations.RecomputeRfm.Input) async throws -> Operations.RecomputeRfm.Output {
        try await customers.recomputeRfm(input)
    }

    func createImport(_ input: Operations.CreateImport.Input) async throws -> Operations.CreateImport.Output {
        try await imports.createImport(input)
    }

    func getImport(_ input: Operations.GetImport.Input) async throws -> Operations.GetImport.Output {
        try await imports.getImport(input)
    }

    func listSegments(_ input: Operations.ListSegments.Input) async throws -> Operations.ListSegments.Output {
        try await segments.listSegments(input)
    }

    func createSegment(_ input: Operations.CreateSegment.Input) async throws -> Operations.CreateSegment.Output {
        try await segments.createSegment(input)
    }

    func getSegment(_ input: Operations.GetSegment.Input) async throws -> Operations.GetSegment.Output {
        try await segments.getSegment(input)
    }

    func updateSegment(_ input: Operations.UpdateSegment.Input) async throws -> Operations.UpdateSegment.Output {
        try await segments.updateSegment(input)
    }

    func deleteSegment(_ input: Operations.DeleteSegment.Input) async throws -> Operations.DeleteSegment.Output {
        try await segments.deleteSegment(input)
    }

    func listSegmentCustomers(_ input: Operations.ListSegmentCustomers.Input) async throws
        -> Operations.ListSegmentCustomers.Output
    {
        try await segments.listSegmentCustomers(input)
    }

    func listPrograms(_ input: Operations.ListPrograms.Input) async throws -> Operations.ListPrograms.Output {
        try await programs.listPrograms(input)
    }

    func createProgram(_ input: Operations.CreateProgram.Input) async throws -> Operations.CreateProgram.Output {
        try await programs.createProgram(input)
    }

    func getProgram(_ input: Operations.GetProgram.Input) async throws -> Operations.GetProgram.Output {
        try await programs.getProgram(input)
    }

    func getProgramTiers(_ input: Operations.GetProgramTiers.Input) async throws -> Operations.GetProgramTiers.Output {
        try await programs.getProgramTiers(input)
    }

    func replaceProgramTiers(_ input: Operations.ReplaceProgramTiers.Input) async throws
        -> Operations.ReplaceProgramTiers.Output
    {
        try await programs.replaceProgramTiers(input)
    }

    func previewProgramTiers(_ input: Operations.PreviewProgramTiers.Input) async throws
        -> Operations.PreviewProgramTiers.Output
    {
        try await programs.previewProgramTiers(input)
    }

    func enrolMember(_ input: Operations.EnrolMember.Input) async throws -> Operations.EnrolMember.Output {
        try await members.enrolMember(input)
    }

    func getMember(_ input: Operations.GetMember.Input) async throws -> Operations.GetMember.Output {
        try await members.getMember(input)
    }

    func listMemberPoints(_ input: Operations.ListMemberPoints.Input) async throws
        -> Operations.ListMemberPoints.Output
    {
        try await members.listMemberPoints(input)
    }

    func adjustMemberPoints(_ input: Operations.AdjustMemberPoints.Input) async throws
        -> Operations.AdjustMemberPoints.Output
    {
        try await members.adjustMemberPoints(input)
    }

    func redeemMemberPoints(_ input: Operations.RedeemMemberPoints.Input) async throws
        -> Operations.RedeemMemberPoints.Output
    {
        try await members.redeemMemberPoints(input)
    }

    func listMemberTierHistory(_ input: Operations.ListMemberTierHistory.Input) async throws
        -> Operations.ListMemberTierHistory.Output
    {
        try await members.listMemberTierHistory(input)
    }

    func listJobs(_ input: Operations.ListJobs.Input) async throws -> Operations.ListJobs.Output {
        try await jobs.listJobs(input)
    }

    func getJob(_ input: Operations.GetJob.Input) async throws -> Operations.GetJob.Output {
        try await jobs.getJob(input)
    }
}
