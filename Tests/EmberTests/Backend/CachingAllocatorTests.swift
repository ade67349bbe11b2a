import Testing
@testable import Ember

@Suite("CPU caching allocator")
struct CachingAllocatorTests {
    @Test("caches a sixteenth of the machine's memory, between 128 MiB and 4 GiB")
    func defaultLimit() {
        #expect(CachingAllocator.defaultLimit(physicalMemory: 24 << 30) == 1536 << 20)
        #expect(CachingAllocator.defaultLimit(physicalMemory: 1 << 30) == 128 << 20)
        #expect(CachingAllocator.defaultLimit(physicalMemory: 256 << 30) == 4 << 30)
    }

    @Test("reuses a freed block of the same rounded size")
    func reuseAndLimit() {
        let allocator = CachingAllocator(limit: 1 << 20)
        let (first, size) = allocator.allocate(300_000)
        allocator.release(first, size: size)
        let (second, _) = allocator.allocate(299_800)   // rounds to the same 74 pages of 4 KiB
        #expect(second == first)
        allocator.release(second, size: size)
        allocator.emptyCache()
    }
}
