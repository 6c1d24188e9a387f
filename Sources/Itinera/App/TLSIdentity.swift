import Crypto
public import Foundation
public import Logging
public import NIOSSL
import SwiftASN1
import X509

/// The server's TLS configuration: the configured certificate, or a self-signed development one
/// kept under `<data-dir>/tls/` and reused until it nears expiry.
public enum TLSIdentity {
    /// TLS 1.2 at least; NIOSSL (BoringSSL) prefers 1.3 when the client offers it.
    public static func serverConfiguration(
        certificatePath: String?,
        keyPath: String?,
        dataDirectory: URL,
        logger: Logger
    ) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        if let certificatePath, let keyPath {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } else {
            let directory = dataDirectory.appendingPathComponent("tls")
            let (certificatePEM, keyPEM, fingerprint) = try developmentCertificate(in: directory)
            chain = [try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)]
            key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
            logger.notice(
                "No TLS certificate configured: serving a self-signed development certificate",
                metadata: ["path": "\(directory.path)", "sha256_fingerprint": "\(fingerprint)"]
            )
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuiteValues = aeadSuites
        return configuration
    }

    /// The TLS 1.2 suites offered: forward-secret key exchange (ECDHE) with an AEAD cipher only, so
    /// no CBC suite (and its padding-oracle history) is ever negotiated; TLS 1.3's own suites are all
    /// AEAD and are not affected by this list.
    static let aeadSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// Loads the development certificate, making a new one when there is none or it expires within a week.
    static func developmentCertificate(in directory: URL) throws -> (
        certificate: String, key: String, fingerprint: String
    ) {
        let certificateFile = directory.appendingPathComponent("cert.pem")
        let keyFile = directory.appendingPathComponent("key.pem")
        if let certificatePEM = try? String(contentsOf: certificateFile, encoding: .utf8),
            let keyPEM = try? String(contentsOf: keyFile, encoding: .utf8),
            let certificate = try? Certificate(pemEncoded: certificatePEM),
            certificate.notValidAfter > Date().addingTimeInterval(7 * 86_400)
        {
            return (certificatePEM, keyPEM, try fingerprint(of: certificate))
        }
        let privateKey = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Itinera")
            CommonName("Itinera development certificate")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(privateKey.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(365 * 86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                KeyUsage(digitalSignature: true)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1]))),
                ])
            },
            issuerPrivateKey: Certificate.PrivateKey(privateKey)
        )
        let certificatePEM = try certificate.serializeAsPEM().pemString
        let keyPEM = privateKey.pemRepresentation
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        try Data(certificatePEM.utf8).write(to: certificateFile, options: .atomic)
        try Data(keyPEM.utf8).write(to: keyFile, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
        return (certificatePEM, keyPEM, try fingerprint(of: certificate))
    }

    static func fingerprint(of certificate: Certificate) throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
