package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The corpus files agree with each other: pcap, its description, and the expectations. */
class CorpusFilesTest {

    static List<Corpus.Entry> entries() {
        return Corpus.entries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void pcapDescriptionAndExpectationsAgree(Corpus.Entry e) throws Exception {
        assertTrue(Files.isRegularFile(e.object()), e.object().toString());
        List<byte[]> packets = e.packets();
        Path txt = Path.of(e.pcap().toString().replaceFirst("\\.pcap$", ".txt"));
        List<String> described = Files.readAllLines(txt).stream().filter(l -> !l.isBlank()).toList();
        assertEquals(packets.size(), described.size(), txt.toString());
        List<String> expected = Files.readAllLines(e.expectedRuns()).stream().filter(l -> !l.isBlank()).toList();
        assertEquals(packets.size(), expected.size(), e.expectedRuns().toString());
        for (int i = 0; i < packets.size(); i++) {
            String[] d = described.get(i).trim().split("\\s+");
            assertEquals(String.valueOf(i), d[0], txt + " line " + (i + 1));
            assertEquals(String.valueOf(packets.get(i).length), d[1], txt + " line " + (i + 1));
            String[] x = expected.get(i).split(" ");
            assertEquals(String.valueOf(i), x[0], e.expectedRuns() + " line " + (i + 1));
            assertEquals(packets.get(i).length < 14, x[1].equals("EINVAL"), e.expectedRuns() + " line " + (i + 1)
                    + ": EINVAL exactly for frames shorter than ETH_HLEN");
        }
        assertTrue(Files.isRegularFile(e.expectedMaps()), e.expectedMaps().toString());
        if (e.maps() != null) {
            assertTrue(Files.isRegularFile(e.maps()), e.maps().toString());
        }
    }
}
