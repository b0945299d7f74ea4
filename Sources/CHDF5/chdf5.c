// chdf5: see include/chdf5.h.
#include "chdf5.h"
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- errors ---------------------------------------------------------------------------------

struct chdf5_walk { char *msg; size_t msglen; int found; };

// Walks upward from the innermost error: the first entry is where the library detected the problem.
static herr_t chdf5_walk_cb(unsigned n, const H5E_error2_t *err, void *data) {
    struct chdf5_walk *w = data;
    (void)n;
    if (!w->found && err && err->desc && err->desc[0]) {
        snprintf(w->msg, w->msglen, "%s", err->desc);
        w->found = 1;
    }
    return 0;
}

/// Fills msg with `what`, followed by HDF5's own innermost message when the default stack has one.
static int chdf5_fail(char *msg, size_t msglen, const char *what) {
    char lib[256] = "";
    struct chdf5_walk w = { lib, sizeof lib, 0 };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, chdf5_walk_cb, &w);
    H5Eclear2(H5E_DEFAULT);
    if (msg && msglen) {
        if (w.found) snprintf(msg, msglen, "%s (%s)", what, lib);
        else snprintf(msg, msglen, "%s", what);
    }
    return -1;
}

// ---- files ----------------------------------------------------------------------------------

int chdf5_open(const char *path, int64_t *file, char *msg, size_t msglen) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0) {
        return chdf5_fail(msg, msglen, is == 0 ? "not an HDF5 file" : "cannot open");
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return chdf5_fail(msg, msglen, "cannot open");
    *file = f;
    return 0;
}

int chdf5_close(int64_t file) {
    return H5Fclose((hid_t)file) < 0 ? -1 : 0;
}

// ---- objects --------------------------------------------------------------------------------

int chdf5_object_kind(int64_t file, const char *path, int *kind, char *msg, size_t msglen) {
    *kind = CHDF5_ABSENT;
    size_t n = strlen(path);
    char *buf = malloc(n + 1);
    if (!buf) return chdf5_fail(msg, msglen, "out of memory");
    memcpy(buf, path, n + 1);
    // Check each prefix "/a", "/a/b", ... so that a missing intermediate group is not an error.
    for (size_t i = 1; i <= n; i++) {
        if (i == n || buf[i] == '/') {
            char saved = buf[i];
            buf[i] = '\0';
            if (i > 0 && !(i == 1 && buf[0] == '/')) {
                htri_t e = H5Lexists((hid_t)file, buf, H5P_DEFAULT);
                if (e < 0) { free(buf); return chdf5_fail(msg, msglen, "cannot look up a link"); }
                if (e == 0) { free(buf); return 0; }
                // Soft and external links are not followed: a soft link can lead back up the tree, an external
                // link to any file on the machine (a FIFO, /dev/zero).
                H5L_info_t link;
                if (H5Lget_info((hid_t)file, buf, &link, H5P_DEFAULT) < 0) {
                    free(buf);
                    return chdf5_fail(msg, msglen, "cannot look up a link");
                }
                if (link.type != H5L_TYPE_HARD) { free(buf); *kind = CHDF5_OTHER; return 0; }
            }
            buf[i] = saved;
        }
    }
    free(buf);
    hid_t obj = H5Oopen((hid_t)file, path, H5P_DEFAULT);
    if (obj < 0) { H5Eclear2(H5E_DEFAULT); *kind = CHDF5_OTHER; return 0; }
    H5I_type_t t = H5Iget_type(obj);
    *kind = t == H5I_GROUP ? CHDF5_GROUP : t == H5I_DATASET ? CHDF5_DATASET : CHDF5_OTHER;
    H5Oclose(obj);
    return 0;
}

int chdf5_read_string_attribute(int64_t file, const char *object, const char *name,
                                char **out, size_t *outlen, int *count, char *msg, size_t msglen) {
    *out = NULL; *outlen = 0; *count = 0;
    htri_t has = H5Aexists_by_name((hid_t)file, object, name, H5P_DEFAULT);
    if (has < 0) return chdf5_fail(msg, msglen, "cannot look up the attribute");
    if (has == 0) return 1;
    int rc = -1;
    hid_t attr = -1, type = -1, space = -1, memtype = -1;
    char *raw = NULL;
    char **vls = NULL;
    attr = H5Aopen_by_name((hid_t)file, object, name, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0) { chdf5_fail(msg, msglen, "cannot open the attribute"); goto done; }
    type = H5Aget_type(attr);
    space = H5Aget_space(attr);
    if (type < 0 || space < 0) { chdf5_fail(msg, msglen, "cannot read the attribute's type"); goto done; }
    hssize_t n = H5Sget_simple_extent_npoints(space);
    if (n < 0) { chdf5_fail(msg, msglen, "cannot read the attribute's size"); goto done; }
    if (n == 0) { rc = 0; goto done; }  // Keras writes an empty list as an empty float64 array
    if (H5Tget_class(type) != H5T_STRING) { chdf5_fail(msg, msglen, "attribute is not a string"); goto done; }
    if (n > CHDF5_MAX_ATTRIBUTE_STRINGS) { chdf5_fail(msg, msglen, "attribute holds too many strings"); goto done; }
    size_t total = 0;
    if (H5Tis_variable_str(type) > 0) {
        memtype = H5Tcopy(H5T_C_S1);
        H5Tset_size(memtype, H5T_VARIABLE);
        H5Tset_cset(memtype, H5Tget_cset(type));  // h5py writes UTF-8; ASCII <-> UTF-8 has no conversion
        vls = calloc((size_t)n + 1, sizeof(char *));
        if (!vls) { chdf5_fail(msg, msglen, "out of memory"); goto done; }
        if (H5Aread(attr, memtype, vls) < 0) { chdf5_fail(msg, msglen, "cannot read the attribute"); goto done; }
        for (hssize_t i = 0; i < n; i++) {
            size_t len = vls[i] ? strlen(vls[i]) : 0;
            if (len >= CHDF5_MAX_ATTRIBUTE_BYTES || total > CHDF5_MAX_ATTRIBUTE_BYTES - len - 1) {
                H5Dvlen_reclaim(memtype, space, H5P_DEFAULT, vls);
                chdf5_fail(msg, msglen, "attribute is too large");
                goto done;
            }
            total += len + 1;
        }
        char *buf = malloc(total ? total : 1);
        if (!buf) {
            H5Dvlen_reclaim(memtype, space, H5P_DEFAULT, vls);
            chdf5_fail(msg, msglen, "out of memory");
            goto done;
        }
        size_t at = 0;
        for (hssize_t i = 0; i < n; i++) {
            size_t len = vls[i] ? strlen(vls[i]) : 0;
            if (len) memcpy(buf + at, vls[i], len);
            buf[at + len] = '\0';
            at += len + 1;
        }
        H5Dvlen_reclaim(memtype, space, H5P_DEFAULT, vls);
        *out = buf;
    } else {
        size_t size = H5Tget_size(type);
        // n * (size + 1) + 1 bytes at most, both from the file: checked against the limit before any allocation.
        size_t stored = 0, padded = 0;
        if (size == 0 || __builtin_mul_overflow((size_t)n, size, &stored)
            || __builtin_mul_overflow((size_t)n, size + 1, &padded) || padded >= CHDF5_MAX_ATTRIBUTE_BYTES) {
            chdf5_fail(msg, msglen, "attribute is too large");
            goto done;
        }
        raw = calloc(stored + 1, 1);
        if (!raw) { chdf5_fail(msg, msglen, "out of memory"); goto done; }
        memtype = H5Tcopy(type);  // read the bytes exactly as stored (NUL- or space-padded)
        if (H5Aread(attr, memtype, raw) < 0) { chdf5_fail(msg, msglen, "cannot read the attribute"); goto done; }
        char *buf = malloc(padded + 1);
        if (!buf) { chdf5_fail(msg, msglen, "out of memory"); goto done; }
        size_t at = 0;
        for (hssize_t i = 0; i < n; i++) {
            const char *s = raw + (size_t)i * size;
            size_t len = 0;
            while (len < size && s[len] != '\0') len++;
            while (len > 0 && s[len - 1] == ' ' && H5Tget_strpad(type) == H5T_STR_SPACEPAD) len--;
            memcpy(buf + at, s, len);
            buf[at + len] = '\0';
            at += len + 1;
        }
        total = at;
        *out = buf;
    }
    *outlen = total;
    *count = (int)n;
    rc = 0;
done:
    free(vls);
    free(raw);
    if (memtype >= 0) H5Tclose(memtype);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (attr >= 0) H5Aclose(attr);
    return rc;
}

// ---- datasets -------------------------------------------------------------------------------

int chdf5_dataset_shape(int64_t file, const char *path, int *rank, int64_t *dims, int maxrank,
                        char *msg, size_t msglen) {
    hid_t ds = H5Dopen2((hid_t)file, path, H5P_DEFAULT);
    if (ds < 0) return chdf5_fail(msg, msglen, "cannot open the dataset");
    hid_t space = H5Dget_space(ds);
    int r = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (r < 0 || r > maxrank) {
        if (space >= 0) H5Sclose(space);
        H5Dclose(ds);
        return chdf5_fail(msg, msglen, r < 0 ? "cannot read the dataset's shape" : "dataset has too many dimensions");
    }
    hsize_t d[32];
    H5Sget_simple_extent_dims(space, d, NULL);
    for (int i = 0; i < r; i++) dims[i] = (int64_t)d[i];
    *rank = r;
    H5Sclose(space);
    H5Dclose(ds);
    return 0;
}

int chdf5_read_float(int64_t file, const char *path, float *out, size_t count, char *msg, size_t msglen) {
    hid_t ds = H5Dopen2((hid_t)file, path, H5P_DEFAULT);
    if (ds < 0) return chdf5_fail(msg, msglen, "cannot open the dataset");
    // Data kept outside the file (external raw files, virtual datasets) could name any file on the machine.
    hid_t dcpl = H5Dget_create_plist(ds);
    int external = dcpl < 0 ? -1 : H5Pget_external_count(dcpl);
    H5D_layout_t layout = dcpl < 0 ? H5D_LAYOUT_ERROR : H5Pget_layout(dcpl);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (external != 0 || (layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED && layout != H5D_COMPACT)) {
        H5Dclose(ds);
        return chdf5_fail(msg, msglen, "dataset keeps its data outside the file (external or virtual storage)");
    }
    hid_t space = H5Dget_space(ds);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    if (space >= 0) H5Sclose(space);
    if (n < 0 || (size_t)n != count) {
        H5Dclose(ds);
        return chdf5_fail(msg, msglen, n < 0 ? "cannot read the dataset's size" : "dataset size does not match");
    }
    herr_t e = H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    H5Dclose(ds);
    if (e < 0) return chdf5_fail(msg, msglen, "cannot read the dataset");
    return 0;
}

// ---- groups ---------------------------------------------------------------------------------

struct chdf5_names { char *buf; size_t len, cap; int count; };

static herr_t chdf5_names_cb(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    struct chdf5_names *names = data;
    (void)group;
    if (info->type != H5L_TYPE_HARD) return 0;   // soft and external links are not followed
    if (names->count >= CHDF5_MAX_CHILDREN) return -1;
    size_t n = strlen(name) + 1;
    if (names->len + n > names->cap) {
        size_t cap = names->cap * 2 + n + 256;
        char *grown = realloc(names->buf, cap);
        if (!grown) return -1;
        names->buf = grown;
        names->cap = cap;
    }
    memcpy(names->buf + names->len, name, n);
    names->len += n;
    names->count++;
    return 0;
}

int chdf5_list_children(int64_t file, const char *path, char **out, size_t *outlen, int *count,
                        char *msg, size_t msglen) {
    *out = NULL; *outlen = 0; *count = 0;
    hid_t g = H5Gopen2((hid_t)file, path, H5P_DEFAULT);
    if (g < 0) return chdf5_fail(msg, msglen, "cannot open the group");
    struct chdf5_names names = { NULL, 0, 0, 0 };
    hsize_t idx = 0;
    herr_t e = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, chdf5_names_cb, &names);
    H5Gclose(g);
    if (e < 0) {
        free(names.buf);
        return chdf5_fail(msg, msglen, names.count >= CHDF5_MAX_CHILDREN ? "group has too many links" : "cannot list the group");
    }
    *out = names.buf;
    *outlen = names.len;
    *count = names.count;
    return 0;
}

int chdf5_object_address(int64_t file, const char *path, uint64_t *fileno, uint64_t *address, char *msg, size_t msglen) {
    H5O_info_t info;
    if (H5Oget_info_by_name2((hid_t)file, path, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
        return chdf5_fail(msg, msglen, "cannot read the object's address");
    }
    *fileno = (uint64_t)info.fileno;
    *address = (uint64_t)info.addr;
    return 0;
}

void chdf5_free(void *p) { free(p); }
