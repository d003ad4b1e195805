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
        #expect(example.ui == UIConfig(mouse: false), "the example documents the key with its default")
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
