import Foundation
import Testing

@testable import Itinera

@Suite struct RFC3339Tests {
    @Test func test_theHandReadCommonForm_agreesWithTheFormatStyle() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let instant = Date(
                timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator))
                    + 0.25)
            let minutes = [0, 480, -300, 330, 345, -570][Int.random(in: 0..<6, using: &generator)]
            let style = Date.ISO8601FormatStyle(
                timeSeparator: .colon, timeZoneSeparator: .colon, includingFractionalSeconds: true,
                timeZone: TimeZone(secondsFromGMT: minutes * 60)!)
            let text = style.format(instant)
            #expect(RFC3339DateTranscoder.parseCommonForm(text) == instant, "\(text)")
        }
    }

    @Test func test_datesThatDoNotExist_orOtherForms_areLeftToTheFormatStyle() {
        for text in [
            "2026-04-31T00:00:00Z", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-10-01 08:00:00Z",
            "2026-10-01T08:00:00", "2026-10-01T08:00:00.Z", "2026-10-01T24:00:00Z", "2026-10-01T08:00:00+0800",
        ] {
            #expect(RFC3339DateTranscoder.parseCommonForm(text) == nil, "\(text)")
        }
        #expect(RFC3339DateTranscoder.parseCommonForm("2024-02-29T23:30:00+08:00") != nil)
    }
}
