import Foundation

/// Certificates for tests of TLS to other servers (the database, SMTP).
public enum TestCertificates {
    /// A self-signed certificate for `localhost` and 127.0.0.1 and its key under `directory`, made with
    /// the `openssl` tool; it is its own root.
    public static func selfSigned(in directory: URL, name: String) throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("\(name).crt").path
        let key = directory.appendingPathComponent("\(name).key").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw TestSupportError("openssl req failed") }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        return (certificate, key)
    }

    public static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }
}
