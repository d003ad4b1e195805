import Foundation
import Testing
@testable import VizorModel

/// `ui.mouse`: dashboard mouse support, off unless the file turns it on.
@Suite("configuration: ui")
struct UIConfigTests {
    static let base = """
        sites:
          dc1:
            xenserver:
              url: https://xs.example.com
              username: root
              password: {env: XS_PASSWORD}
        """

    @Test func mouseIsOffWithoutTheKeyAndOnWhenSet() throws {
        #expect(try ConfigLoader.parse(Self.base, file: "/etc/vizor.yaml").ui.mouse == false)
        let on = try ConfigLoader.parse(Self.base + "\nui:\n  mouse: true\n", file: "/etc/vizor.yaml")
        #expect(on.ui.mouse == true)
        let example = try ConfigLoader.parse(ConfigExample.text, file: "example.yaml")
        #expect(example.ui == UIConfig(mouse: false, logLines: 100_000), "the example documents the keys with their defaults")
    }

    @Test func theLogTailBufferIsConfigurableWithinBounds() throws {
        #expect(try ConfigLoader.parse(Self.base, file: "/etc/vizor.yaml").ui.logLines == 100_000)
        let big = try ConfigLoader.parse(Self.base + "\nui:\n  log_lines: 500000\n", file: "/etc/vizor.yaml")
        #expect(big.ui.logLines == 500_000)
        for bad in ["10", "2.5e9", "1500.5", "lots"] {
            do {
                _ = try ConfigLoader.parse(Self.base + "\nui:\n  log_lines: \(bad)\n", file: "/etc/vizor.yaml")
                Issue.record("ui.log_lines \(bad) was accepted")
            } catch {
                #expect(error.issues.first?.key == "ui.log_lines" && error.issues.first?.line == 8, "\(bad): \(error.issues)")
            }
        }
    }

    @Test func aBadMouseValueNamesFileLineAndKey() {
        do {
            _ = try ConfigLoader.parse(Self.base + "\nui:\n  mouse: sometimes\n", file: "/etc/vizor.yaml")
            Issue.record("a bad ui.mouse was accepted")
        } catch {
            #expect(error.issues.map(\.description) == [
                "/etc/vizor.yaml:8: ui.mouse: expected true or false, found the string \"sometimes\"",
            ])
        }
        do {
            _ = try ConfigLoader.parse(Self.base + "\nui:\n  mice: true\n", file: "/etc/vizor.yaml")
            Issue.record("an unknown ui key was accepted")
        } catch {
            #expect(error.issues.first?.key == "ui.mice" && error.issues.first?.line == 8, "\(error.issues)")
        }
    }
}
