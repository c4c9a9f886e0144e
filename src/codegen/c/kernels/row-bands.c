/* espforge portable kernels: row-band execution of a layer pair (build --row-bands, src/codegen/c/row-bands.ts).
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses (this one follows SECTION_ORDER's). */

/*@@ section bandslide */
/* The band's slide: move its last n bytes, starting at offset from (> 0), to its start, front to back (the source
 * lies after the destination, so a forward copy is safe where they overlap); no libc needed. Eight bytes a step through
 * locals: picolibc's memmove took about 6 rv32 instructions a byte here, this about 2.6 (cifar10_q, 10,752 B a run). */
void ef_band_slide(int8_t *band, size_t from, size_t n)
{
    const int8_t *s = band + from;
    int8_t *d = band;
    size_t i;
    for (i = 0; i + 8 <= n; i += 8, s += 8, d += 8) {
        const int8_t a = s[0], b = s[1], c = s[2], e = s[3], f = s[4], g = s[5], h = s[6], k = s[7];
        d[0] = a;
        d[1] = b;
        d[2] = c;
        d[3] = e;
        d[4] = f;
        d[5] = g;
        d[6] = h;
        d[7] = k;
    }
    n -= i;
    for (i = 0; i < n; ++i) d[i] = s[i];
}
