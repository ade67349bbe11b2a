import Testing
@testable import Ember
