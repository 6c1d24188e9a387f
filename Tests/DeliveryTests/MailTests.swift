import Foundation
import ItineraTestSupport
import Testing

@testable import Itinera

/// E-mail over SMTP against a real server (aiosmtpd) started by the test.
@Suite struct MailTests {
    static func message(_ number: Int, to: String = "wei@example.com") -> MailMessage {
        MailMessage(
            to: to, subject: "您的行程 \(number): Lijiang", text: "你好，张伟！\n.A line that starts with a dot\nBye",
            headers: [
                ("List-Unsubscribe", "<https://itinera.example/u/token>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ],
            messageID: "\(UUID().uuidString.lowercased())@itinera.example")
    }

    /// Two messages over one authenticated connection to a server on this machine: both arrive with
    /// their headers, the subject and body in UTF-8, the dotted line intact.
    @Test func test_twoMessagesOverOneConnection_withAuth_arriveIntact() async throws {
        let server = try await SMTPServerProcess(options: ["--user", "itinera", "--password", "s3cret"])
        defer { server.stop() }
        let mailer = try Mailer(
            settings: try MailSettings(
                url: "smtp://itinera:s3cret@127.0.0.1:\(server.port)", from: "Itinera 行程 <trips@itinera.example>"))
        try await mailer.send(Self.message(1))
        try await mailer.send(Self.message(2, to: "li@example.com"))
        await mailer.close()
        let messages = server.messages
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.authenticated })
        #expect(Set(messages.map(\.connection)).count == 1)
        #expect(messages.map(\.recipients) == [["wei@example.com"], ["li@example.com"]])
        #expect(messages.first?.envelope["mail_from"] == "trips@itinera.example")
        #expect(messages.first?.text == "你好，张伟！\r\n.A line that starts with a dot\r\nBye")
        #expect(messages.first?.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
        #expect(messages.first?.header("List-Unsubscribe") == "<https://itinera.example/u/token>")
        let subject = messages.first?.header("Subject") ?? ""
        #expect(subject.hasPrefix("=?UTF-8?B?"))
        let encoded = subject.dropFirst(10).dropLast(2)
        #expect(Data(base64Encoded: String(encoded)).map { String(decoding: $0, as: UTF8.self) } == "您的行程 1: Lijiang")
    }

    /// STARTTLS before AUTH when the server offers it, with the server's certificate checked against
    /// the configured authority; a wrong password is a permanent failure; nothing in the clear.
    @Test(.enabled(if: TestCertificates.available))
    func test_startTLS_beforeAuth_andAWrongPasswordIsPermanent() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itinera-smtp-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pair = try TestCertificates.selfSigned(in: directory, name: "smtp")
        let server = try await SMTPServerProcess(
            options: ["--user", "itinera", "--password", "s3cret", "--starttls", pair.certificate, pair.key])
        defer { server.stop() }
        var settings = try MailSettings(
            url: "smtp://itinera:s3cret@localhost:\(server.port)", from: "trips@itinera.example")
        settings.extraTrustRoots = pair.certificate
        let mailer = try Mailer(settings: settings)
        try await mailer.send(Self.message(1))
        await mailer.close()
        #expect(server.messages.count == 1)
        #expect(server.messages.first?.tls == true)
        #expect(server.messages.first?.authenticated == true)

        var wrong = settings
        wrong.password = "guess"
        await #expect(throws: MailError.self) { try await Mailer(settings: wrong).send(Self.message(2)) }
        do {
            try await Mailer(settings: wrong).send(Self.message(2))
        } catch let error as MailError {
            #expect(error.permanent)
        }
        #expect(server.messages.count == 1)
        // Without the authority the certificate is not trusted, and nothing is sent.
        var untrusting = settings
        untrusting.extraTrustRoots = nil
        await #expect(throws: MailError.self) { try await Mailer(settings: untrusting).send(Self.message(3)) }
        #expect(server.messages.count == 1)
    }

    @Test func test_settingsRead_smtpAndSmtpsURLs_andRefuseOthers() throws {
        let plain = try MailSettings(url: "smtp://u%40x:p%3Aw@mail.example.com", from: "a@b.example")
        #expect(plain.host == "mail.example.com" && plain.port == 587 && plain.security == .startTLS)
        #expect(plain.username == "u@x" && plain.password == "p:w")
        let implicit = try MailSettings(url: "smtps://mail.example.com", from: "Trips <a@b.example>")
        #expect(implicit.port == 465 && implicit.security == .implicitTLS && implicit.fromName == "Trips")
        #expect(throws: ConfigurationError.self) {
            try MailSettings(url: "http://mail.example.com", from: "a@b.example")
        }
        #expect(throws: ConfigurationError.self) { try MailSettings(url: "smtp://mail.example.com", from: "nobody") }
    }
}
