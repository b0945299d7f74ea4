// C interface to OpenCV 4.6's dense optical flow (cv::DISOpticalFlow and cv::calcOpticalFlowFarneback) for the
// Video module. OpenCV reports errors by C++ exceptions; every one is caught in cflow.cpp, so none crosses into
// Swift. Every function returns a CFLOW_* code and copies the problem into `msg`.
#ifndef CFLOW_H
#define CFLOW_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes of the cflow_* functions.
enum {
    CFLOW_OK = 0,
    CFLOW_ERR_ARGUMENT = 1,   ///< wrong size, channel count, method or buffer; see msg
    CFLOW_ERR_OPENCV = 2,     ///< OpenCV threw; msg holds its what()
};

/// The flow methods: DIS (Kroeger et al., "Fast Optical Flow using Dense Inverse Search", ECCV 2016) with OpenCV's
/// three presets, and Farneback ("Two-Frame Motion Estimation Based on Polynomial Expansion", SCIA 2003).
enum {
    CFLOW_DIS_ULTRAFAST = 0,
    CFLOW_DIS_FAST = 1,
    CFLOW_DIS_MEDIUM = 2,
    CFLOW_FARNEBACK = 3,
};

/// The dense flow from `first` to `second`: for each pixel (x, y) of `first`, `flow` gets (u, v) such that
/// first(x, y) ≈ second(x + u, y + v); `flow` is (H, W, 2) float, interleaved, width*height*2 values.
/// `first` and `second` are 8-bit (H, W, channels), channels 1 (grey) or 3 (RGB, converted to grey).
int cflow_compute(const unsigned char *first, const unsigned char *second, int width, int height, int channels,
                  int method, float *flow, size_t flow_count, char *msg, size_t msg_cap);

#ifdef __cplusplus
}
#endif

#endif
