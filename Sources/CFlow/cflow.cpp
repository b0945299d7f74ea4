// C shim around OpenCV's dense optical flow. See cflow.h.
#include "cflow.h"

#include <cstdio>
#include <exception>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

static void cflow_message(char *msg, size_t msg_cap, const char *text) {
    if (msg && msg_cap > 0) std::snprintf(msg, msg_cap, "%s", text);
}

// An 8-bit grey view or copy of an (H, W, channels) frame.
static cv::Mat cflow_grey(const unsigned char *pixels, int width, int height, int channels) {
    cv::Mat frame(height, width, channels == 1 ? CV_8UC1 : CV_8UC3, const_cast<unsigned char *>(pixels));
    if (channels == 1) return frame;
    cv::Mat grey;
    cv::cvtColor(frame, grey, cv::COLOR_RGB2GRAY);
    return grey;
}

extern "C" int cflow_compute(const unsigned char *first, const unsigned char *second, int width, int height,
                             int channels, int method, float *flow, size_t flow_count, char *msg, size_t msg_cap) {
    cflow_message(msg, msg_cap, "");
    if (!first || !second || !flow || width <= 0 || height <= 0 || (channels != 1 && channels != 3)) {
        cflow_message(msg, msg_cap, "frames must be non-empty, with 1 or 3 channels");
        return CFLOW_ERR_ARGUMENT;
    }
    if (flow_count / 2 / (size_t)width < (size_t)height) {
        cflow_message(msg, msg_cap, "the flow buffer must hold width*height*2 floats");
        return CFLOW_ERR_ARGUMENT;
    }
    try {
        cv::Mat a = cflow_grey(first, width, height, channels);
        cv::Mat b = cflow_grey(second, width, height, channels);
        // Written straight into the caller's buffer: OpenCV keeps a Mat that wraps external memory as it is when
        // the size and type already match.
        cv::Mat out(height, width, CV_32FC2, flow);
        switch (method) {
        case CFLOW_DIS_ULTRAFAST:
        case CFLOW_DIS_FAST:
        case CFLOW_DIS_MEDIUM: {
            int preset = method == CFLOW_DIS_ULTRAFAST ? cv::DISOpticalFlow::PRESET_ULTRAFAST
                       : method == CFLOW_DIS_FAST ? cv::DISOpticalFlow::PRESET_FAST : cv::DISOpticalFlow::PRESET_MEDIUM;
            cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(preset);
            dis->calc(a, b, out);
            break;
        }
        case CFLOW_FARNEBACK:
            // OpenCV's sample values (samples/cpp/fback.cpp): pyramid scale 0.5, 3 levels, window 15,
            // 3 iterations, polynomial neighbourhood 5 with sigma 1.2.
            cv::calcOpticalFlowFarneback(a, b, out, 0.5, 3, 15, 3, 5, 1.2, 0);
            break;
        default:
            cflow_message(msg, msg_cap, "unknown flow method");
            return CFLOW_ERR_ARGUMENT;
        }
        if (out.data != (unsigned char *)flow) {   // OpenCV reallocated: copy back
            cv::Mat target(height, width, CV_32FC2, flow);
            out.copyTo(target);
        }
    } catch (const cv::Exception &e) {
        cflow_message(msg, msg_cap, e.what());
        return CFLOW_ERR_OPENCV;
    } catch (const std::exception &e) {
        cflow_message(msg, msg_cap, e.what());
        return CFLOW_ERR_OPENCV;
    } catch (...) {
        cflow_message(msg, msg_cap, "OpenCV failed with an unknown exception");
        return CFLOW_ERR_OPENCV;
    }
    return CFLOW_OK;
}
